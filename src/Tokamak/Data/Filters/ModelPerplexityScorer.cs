using System.Numerics.Tensors;
using Tokamak.Models.Architectures;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Data.Filters;

/// <summary>
/// <see cref="IPerplexityScorer"/> backed by a Tokamak <see cref="LlamaModel"/>: the text is tokenized (BOS first
/// when the tokenizer has one), cut to <see cref="MaxTokens"/>, run once through the model from an empty cache, and
/// scored as exp(mean negative log-likelihood of every token after the first). Texts shorter than two tokens score
/// +∞ (nothing to judge, so they fall above any percentile). Not thread-safe: one KV cache is reused.
/// </summary>
public sealed class ModelPerplexityScorer : IPerplexityScorer, IDisposable
{
    private const int Sub = 32; // positions per forward call: bounds the logits buffer to [32, vocab]
    private readonly LlamaModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly SequenceState _state;
    private readonly float[] _logits;

    /// <summary>Most tokens scored per text (the head of longer texts).</summary>
    public int MaxTokens { get; }

    /// <summary>Creates a scorer; <paramref name="maxTokens"/> is capped at the model's context length.</summary>
    public ModelPerplexityScorer(LlamaModel model, Tokenizer tokenizer, int maxTokens = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        _model = model;
        _tokenizer = tokenizer;
        MaxTokens = Math.Min(maxTokens, model.Config.MaxPositions);
        _state = model.CreateState(MaxTokens, Sub);
        _logits = new float[Sub * model.Config.VocabSize];
    }

    /// <inheritdoc />
    public double Score(string text)
    {
        var ids = _tokenizer.Encode(text, addSpecialTokens: false);
        int bos = _tokenizer.BosId is int b ? 1 : 0;
        int n = Math.Min(MaxTokens, ids.Length + bos);
        if (n < 2) return double.PositiveInfinity;
        var tokens = new int[n];
        if (bos == 1) tokens[0] = _tokenizer.BosId!.Value;
        ids.AsSpan(0, n - bos).CopyTo(tokens.AsSpan(bos));
        return Math.Exp(MeanNll(tokens));
    }

    /// <summary>Mean negative log-likelihood (nats) of tokens[1..] given their prefixes.</summary>
    public double MeanNll(ReadOnlySpan<int> tokens)
    {
        int vocab = _model.Config.VocabSize;
        _state.Reset();
        double sum = 0;
        for (int start = 0; start < tokens.Length - 1; start += Sub)
        {
            int m = Math.Min(Sub, tokens.Length - 1 - start);
            _model.Forward(_state, tokens.Slice(start, m), _logits.AsSpan(0, m * vocab));
            for (int j = 0; j < m; j++)
            {
                var row = _logits.AsSpan(j * vocab, vocab);
                float max = TensorPrimitives.Max(row);
                double z = 0;
                foreach (float l in row) z += Math.Exp(l - max);
                sum += max + Math.Log(z) - row[tokens[start + j + 1]];
            }
        }
        return sum / (tokens.Length - 1);
    }

    /// <inheritdoc />
    public void Dispose() => _state.Dispose();
}
