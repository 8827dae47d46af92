using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Tokamak.Models.Architectures;

namespace Tokamak.Analysis;

/// <summary>
/// The base model's next-token log-probabilities at every position perplexity scores, with the tokens they were
/// computed on: what <c>llama-perplexity --kl-divergence-base</c> saves. Rows are F32 log-softmax over the vocabulary
/// (llama.cpp stores 16-bit; F32 makes a model compared with itself give exactly 0).
/// </summary>
public sealed class KlBase
{
    private const uint Magic = 0x4C4B4B54; // "TKKL"
    private const int Version = 1;

    /// <summary>Creates a base from computed rows.</summary>
    public KlBase(int vocab, int ctx, int? bos, int[] tokens, float[] logProbs)
    {
        if (logProbs.Length % vocab != 0) throw new ArgumentException("log-prob rows must be whole rows of the vocabulary");
        Vocab = vocab; Ctx = ctx; Bos = bos; Tokens = tokens; LogProbs = logProbs;
    }

    /// <summary>Vocabulary size.</summary>
    public int Vocab { get; }
    /// <summary>Window size.</summary>
    public int Ctx { get; }
    /// <summary>The BOS id put at each window's start, if any.</summary>
    public int? Bos { get; }
    /// <summary>The scored text's tokens.</summary>
    public int[] Tokens { get; }
    /// <summary>[positions, vocab] log-probabilities in scoring order.</summary>
    public float[] LogProbs { get; }
    /// <summary>Scored positions.</summary>
    public int Positions => LogProbs.Length / Vocab;

    /// <summary>Writes the base to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        using var f = new BinaryWriter(File.Create(path));
        f.Write(Magic); f.Write(Version); f.Write(Vocab); f.Write(Ctx); f.Write(Bos ?? -1); f.Write(Tokens.Length);
        f.Write(MemoryMarshal.AsBytes(Tokens.AsSpan()));
        f.Write(Positions);
        f.Write(MemoryMarshal.AsBytes(LogProbs.AsSpan()));
    }

    /// <summary>Reads a file written by <see cref="Save"/>; a wrong or truncated file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static KlBase Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"KL-divergence base file not found: {path}", path);
        using var f = new BinaryReader(File.OpenRead(path));
        try
        {
            if (f.ReadUInt32() != Magic) throw new InvalidDataException($"{path} is not a Tokamak KL-divergence base file");
            int version = f.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: unsupported KL-divergence base version {version}");
            int vocab = f.ReadInt32(), ctx = f.ReadInt32(), bos = f.ReadInt32(), n = f.ReadInt32();
            if (vocab <= 0 || ctx < 4 || n < 0) throw new InvalidDataException($"{path}: corrupt header (vocab {vocab}, ctx {ctx}, tokens {n})");
            var tokens = new int[n];
            f.BaseStream.ReadExactly(MemoryMarshal.AsBytes(tokens.AsSpan()));
            int positions = f.ReadInt32();
            var lp = new float[checked((long)positions * vocab)];
            f.BaseStream.ReadExactly(MemoryMarshal.AsBytes(lp.AsSpan()));
            return new KlBase(vocab, ctx, bos < 0 ? null : bos, tokens, lp);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is truncated");
        }
    }
}

/// <summary>How a model's token distributions compare with a base's over the same scored positions.</summary>
/// <param name="MeanKl">Mean KL(base ‖ model) in nats.</param>
/// <param name="KlStdErr">Standard error of the mean.</param>
/// <param name="MedianKl">Median KL.</param>
/// <param name="MaxKl">Largest KL at any position.</param>
/// <param name="Top1Agreement">Fraction of positions where both argmaxes agree.</param>
/// <param name="BasePerplexity">Perplexity of the base over the positions.</param>
/// <param name="Perplexity">Perplexity of the model over the positions.</param>
/// <param name="Positions">Scored positions.</param>
public sealed record KlResult(double MeanKl, double KlStdErr, double MedianKl, double MaxKl, double Top1Agreement,
    double BasePerplexity, double Perplexity, int Positions);

/// <summary>
/// KL divergence between a base model's and another model's next-token distributions, on llama-perplexity's
/// windows (see <see cref="Perplexity"/>): the same positions are scored, so PPL of both comes out alongside.
/// </summary>
public static class KlDivergence
{
    /// <summary>Runs the base model over <paramref name="tokens"/> and keeps every scored row's log-softmax.</summary>
    public static KlBase ComputeBase(LlamaModel model, IReadOnlyList<int> tokens, int ctx, int? bos)
    {
        int vocab = model.Config.VocabSize;
        var rows = new List<float[]>();
        Score(model, tokens, ctx, bos, (_, logits) =>
        {
            var row = new float[vocab];
            LogSoftmax(logits, row);
            rows.Add(row);
        });
        var all = new float[(long)rows.Count * vocab];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(all, (long)i * vocab);
        return new KlBase(vocab, ctx, bos, tokens.ToArray(), all);
    }

    /// <summary>Compares <paramref name="model"/> with <paramref name="b"/> on the base's own tokens and windows.</summary>
    public static KlResult Compare(LlamaModel model, KlBase b)
    {
        if (b.Vocab != model.Config.VocabSize)
            throw new ArgumentException($"the KL base has a vocabulary of {b.Vocab} but the model has {model.Config.VocabSize}: not the same model family");
        var kls = new List<double>(b.Positions);
        var lq = new float[b.Vocab];
        int agree = 0, pos = 0;
        double nllBase = 0, nll = 0;
        Score(model, b.Tokens, b.Ctx, b.Bos, (next, logits) =>
        {
            if (pos >= b.Positions) throw new InvalidDataException("the KL base has fewer scored positions than the text implies");
            var lp = b.LogProbs.AsSpan(pos * b.Vocab, b.Vocab);
            LogSoftmax(logits, lq);
            double kl = 0;
            for (int i = 0; i < lp.Length; i++)
            {
                double p = Math.Exp(lp[i]);
                if (p > 0) kl += p * ((double)lp[i] - lq[i]);
            }
            kls.Add(Math.Max(kl, 0));
            if (TensorPrimitives.IndexOfMax(lp) == TensorPrimitives.IndexOfMax(logits)) agree++;
            nllBase -= lp[next];
            nll -= lq[next];
            pos++;
        });
        if (pos != b.Positions) throw new InvalidDataException($"the KL base has {b.Positions} scored positions, the text gives {pos}");
        double mean = kls.Average();
        double var = kls.Sum(k => (k - mean) * (k - mean)) / Math.Max(1, kls.Count - 1);
        kls.Sort();
        return new KlResult(mean, Math.Sqrt(var / kls.Count), kls[kls.Count / 2], kls[^1], agree / (double)pos,
            Math.Exp(nllBase / pos), Math.Exp(nll / pos), pos);
    }

    // Visits every scored position (same windows as Perplexity.Compute): onRow(next token, logits row).
    private static void Score(LlamaModel model, IReadOnlyList<int> tokens, int ctx, int? bos, Action<int, ReadOnlySpan<float>> onRow)
    {
        if (ctx < 4) throw new ArgumentException($"ctx must be at least 4, got {ctx}");
        if (ctx > model.Config.MaxPositions) throw new ArgumentException($"ctx {ctx} exceeds the model's context length {model.Config.MaxPositions}");
        int chunks = tokens.Count / ctx;
        if (chunks == 0) throw new ArgumentException($"the text has {tokens.Count} tokens, fewer than one window of ctx = {ctx}");
        int vocab = model.Config.VocabSize;
        const int Sub = 32;
        var logits = new float[Sub * vocab];
        var chunk = new int[ctx];
        using var state = model.CreateState(ctx, Sub);
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
                for (int j = 0; j < n; j++) onRow(chunk[start + j + 1], logits.AsSpan(j * vocab, vocab));
            }
        }
    }

    private static void LogSoftmax(ReadOnlySpan<float> logits, Span<float> dst)
    {
        float max = TensorPrimitives.Max(logits);
        double z = 0;
        foreach (float l in logits) z += Math.Exp(l - max);
        float lse = (float)(max + Math.Log(z));
        TensorPrimitives.Subtract(logits, lse, dst);
    }
}
