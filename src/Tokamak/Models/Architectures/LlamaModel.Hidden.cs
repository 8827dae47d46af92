using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Architectures;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence like <see cref="Forward"/> and writes every position's final
    /// hidden state (after the last RMSNorm, i.e. what the LM head sees) to <paramref name="hidden"/>
    /// <c>[tokens.Length, hiddenSize]</c>. Used for embeddings. <see cref="SequenceState.Logits"/> is not updated.
    /// </summary>
    public void ForwardHidden(SequenceState s, ReadOnlySpan<int> tokens, Span<float> hidden)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to process");
        int h = Config.HiddenSize;
        if (hidden.Length < (long)tokens.Length * h)
            throw new ArgumentException($"hidden must hold {tokens.Length} × {h} floats, got {hidden.Length}");
        if (s.Length + tokens.Length > s.Capacity)
            throw new InvalidOperationException($"context is full: {s.Length} + {tokens.Length} tokens exceed the capacity of {s.Capacity}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {t} is outside the vocabulary (0..{Config.VocabSize - 1})");
        for (int off = 0; off < tokens.Length; off += s.MaxChunk)
        {
            int n = Math.Min(s.MaxChunk, tokens.Length - off);
            ForwardChunk(s, tokens.Slice(off, n), default);
            // ForwardChunk leaves the chunk's residual stream in s.X [n, hidden]; normalize it row by row.
            var x = s.X;
            for (int i = 0; i < n; i++)
                RmsNorm.Forward(x.Slice(i * h, h), Weights.FinalNorm, hidden.Slice((off + i) * h, h), Config.RmsEps);
        }
    }
}
