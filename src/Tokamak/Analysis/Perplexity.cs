using System.Numerics.Tensors;
using Tokamak.Models.Architectures;

namespace Tokamak.Analysis;

/// <summary>Result of a perplexity run.</summary>
public sealed record PerplexityResult(double Perplexity, double StandardError, int Chunks, int Tokens, int Predictions, IReadOnlyList<double> RunningPerChunk);

/// <summary>
/// Perplexity by llama-perplexity's method, so numbers are comparable with llama.cpp's: the token stream is cut into
/// ⌊tokens / ctx⌋ chunks of ctx tokens; each chunk's first token is replaced by BOS and the chunk is evaluated from
/// an empty cache; only positions i ∈ [ctx/2, ctx−2] are scored (predicting token i+1), so every prediction sees
/// at least half a context. PPL = exp(mean negative log-likelihood) over all scored predictions.
/// </summary>
public static class Perplexity
{
    /// <summary>Scores <paramref name="tokens"/> with windows of <paramref name="ctx"/> tokens.</summary>
    public static PerplexityResult Compute(LlamaModel model, IReadOnlyList<int> tokens, int ctx, int? bos, Action<int, double>? onChunk = null,
        KvPrecision precision = KvPrecision.F32)
    {
        if (ctx < 4) throw new ArgumentException($"ctx must be at least 4, got {ctx}");
        if (ctx > model.Config.MaxPositions) throw new ArgumentException($"ctx {ctx} exceeds the model's context length {model.Config.MaxPositions}");
        int chunks = tokens.Count / ctx;
        if (chunks == 0) throw new ArgumentException($"the text has {tokens.Count} tokens, fewer than one window of ctx = {ctx}");
        int vocab = model.Config.VocabSize;
        const int Sub = 32; // positions per forward call while scoring: bounds the logits buffer to [32, vocab]
        var logits = new float[Sub * vocab];
        var chunk = new int[ctx];
        var running = new List<double>();
        double nllSum = 0, nll2Sum = 0;
        int count = 0;
        using var state = model.CreateState(ctx, Sub, precision);
        int first = ctx / 2;
        for (int c = 0; c < chunks; c++)
        {
            for (int i = 0; i < ctx; i++) chunk[i] = tokens[c * ctx + i];
            if (bos is int b) chunk[0] = b;
            state.Reset();
            model.Forward(state, chunk.AsSpan(0, first));
            for (int start = first; start < ctx - 1; start += Sub)
            {
                int n = Math.Min(Sub, ctx - 1 - start);
                model.Forward(state, chunk.AsSpan(start, n), logits.AsSpan(0, n * vocab));
                for (int j = 0; j < n; j++)
                {
                    var row = logits.AsSpan(j * vocab, vocab);
                    float max = TensorPrimitives.Max(row);
                    double z = 0;
                    foreach (float l in row) z += Math.Exp(l - max);
                    double nll = max + Math.Log(z) - row[chunk[start + j + 1]];
                    nllSum += nll;
                    nll2Sum += nll * nll;
                    count++;
                }
            }
            double ppl = Math.Exp(nllSum / count);
            running.Add(ppl);
            onChunk?.Invoke(c, ppl);
        }
        double mean = nllSum / count;
        double variance = Math.Max(nll2Sum / count - mean * mean, 0);
        double stderr = count > 1 ? Math.Exp(mean) * Math.Sqrt(variance / (count - 1)) : 0;
        return new PerplexityResult(Math.Exp(mean), stderr, chunks, tokens.Count, count, running);
    }
}
