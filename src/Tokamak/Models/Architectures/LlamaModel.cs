using Tokamak.Analysis;
using Tokamak.Quantization.Calibration;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Architectures;

/// <summary>
/// The Llama-family decoder (Llama 2/3, Mistral, Qwen2/2.5, Qwen3, SmolLM, llama2.c): pre-norm residual blocks of
/// GQA attention with RoPE and a SwiGLU MLP. Architectural differences (QKV bias, Q/K norm, RoPE pairing and
/// scaling, tied head) are data in <see cref="ModelConfig"/>, not subclasses.
/// </summary>
public sealed unsafe partial class LlamaModel
{
    /// <summary>Creates a model over bound weights.</summary>
    public LlamaModel(ModelConfig config, LlamaWeights weights)
    {
        config.Validate();
        Config = config;
        Weights = weights;
        Rope = new RopeTable(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>Shape and options.</summary>
    public ModelConfig Config { get; }

    /// <summary>The weights.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>Precomputed RoPE frequencies.</summary>
    public RopeTable Rope { get; }

    /// <summary>When set, every op's time, FLOPs and bytes are charged to it (<c>--profile</c>).</summary>
    public OpProfiler? Profiler { get; set; }

    private static double MatMulFlops(Tensor w, int n) => 2.0 * n * w.Rows * w.Cols;

    private static double MatMulBytes(Tensor w, int n) => w.ByteLength + 4.0 * n * (w.Rows + w.Cols);

    /// <summary>A fresh KV cache + scratch for one sequence of up to <paramref name="capacity"/> positions.</summary>
    public SequenceState CreateState(int capacity, int maxChunk = 128, KvPrecision precision = KvPrecision.F32) =>
        new(Config, capacity, maxChunk, precision);

    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence (prefill when many, decode when one) and leaves the logits of
    /// the last one in <see cref="SequenceState.Logits"/>. When <paramref name="allLogits"/> is given
    /// (<c>[tokens.Length, vocab]</c>) every position's logits are written there (perplexity, scoring).
    /// </summary>
    public void Forward(SequenceState s, ReadOnlySpan<int> tokens, Span<float> allLogits = default)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to process");
        if (s.Length + tokens.Length > s.Capacity)
            throw new InvalidOperationException($"context is full: {s.Length} + {tokens.Length} tokens exceed the capacity of {s.Capacity}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {t} is outside the vocabulary (0..{Config.VocabSize - 1})");
        if (!allLogits.IsEmpty && allLogits.Length < (long)tokens.Length * Config.VocabSize)
            throw new ArgumentException("allLogits is too small");
        for (int off = 0; off < tokens.Length; off += s.MaxChunk)
        {
            int n = Math.Min(s.MaxChunk, tokens.Length - off);
            ForwardChunk(s, tokens.Slice(off, n), allLogits.IsEmpty ? default : allLogits.Slice(off * Config.VocabSize, n * Config.VocabSize));
        }
    }

    private void ForwardChunk(SequenceState s, ReadOnlySpan<int> tokens, Span<float> chunkLogits)
    {
        var c = Config;
        int n = tokens.Length, hidden = c.HiddenSize, qDim = c.QDim, kvDim = c.KvDim, hd = c.HeadDim, ff = c.IntermediateSize;
        int start = s.Length;
        var x = s.X[..(n * hidden)];          // residual stream [n, hidden]
        var xb = s.Xb[..(n * hidden)];        // normed input    [n, hidden]
        var xb2 = s.Xb2[..(n * hidden)];      // block output    [n, hidden]
        var q = s.Q[..(n * qDim)];            // [n, heads, headDim]
        var att = s.Att[..(n * qDim)];        // [n, heads, headDim]
        var k = s.K[..(n * kvDim)];           // [n, kvHeads, headDim]
        var v = s.V[..(n * kvDim)];           // [n, kvHeads, headDim]
        var gate = s.Gate[..(n * ff)];        // [n, ff]
        var up = s.Up[..(n * ff)];            // [n, ff]

        var prof = Profiler;
        long t = prof is null ? 0 : OpProfiler.Start();
        prof?.AddTokens(n);
        for (int i = 0; i < n; i++) Dequant.Row(Weights.Embedding.DType, Weights.Embedding.Row(tokens[i]), x.Slice(i * hidden, hidden));
        prof?.Lap(OpKind.Embedding, ref t, 0, n * (Weights.Embedding.RowBytes + 4.0 * hidden));
        double normFlops = 4.0 * n * hidden, normBytes = 8.0 * n * hidden;

        Span<float> cos = stackalloc float[hd / 2], sin = stackalloc float[hd / 2];
        for (int l = 0; l < c.Layers; l++)
        {
            var w = Weights.Layers[l];
            RmsNorm.Forward(x, w.AttnNorm, xb, c.RmsEps);
            prof?.Lap(OpKind.RmsNorm, ref t, normFlops, normBytes);
            Observer?.Observe(l, LinearInput.Attention, xb, n);
            Project(w.Wq, xb, q, n);
            Project(w.Wk, xb, k, n);
            Project(w.Wv, xb, v, n);
            prof?.Lap(OpKind.QkvProjection, ref t, MatMulFlops(w.Wq, n) + MatMulFlops(w.Wk, n) + MatMulFlops(w.Wv, n),
                MatMulBytes(w.Wq, n) + MatMulBytes(w.Wk, n) + MatMulBytes(w.Wv, n));
            var kCache = s.KeyCache(l);
            var vCache = s.ValueCache(l);
            for (int i = 0; i < n; i++)
            {
                var qi = q.Slice(i * qDim, qDim);
                var ki = k.Slice(i * kvDim, kvDim);
                var vi = v.Slice(i * kvDim, kvDim);
                if (w.Bq is not null) { Activations.Add(qi, w.Bq); Activations.Add(ki, w.Bk); Activations.Add(vi, w.Bv); }
                if (w.QNorm is not null) RmsNorm.Forward(qi, w.QNorm, qi, c.RmsEps);
                if (w.KNorm is not null) RmsNorm.Forward(ki, w.KNorm, ki, c.RmsEps);
                Rope.CosSin(start + i, cos, sin);
                Tensors.Kernels.Rope.Apply(qi, c.Heads, hd, cos, sin, c.RopeStyle);
                Tensors.Kernels.Rope.Apply(ki, c.KvHeads, hd, cos, sin, c.RopeStyle);
                ki.CopyTo(kCache.Slice((start + i) * kvDim, kvDim));
                vi.CopyTo(vCache.Slice((start + i) * kvDim, kvDim));
                if (s.Precision == KvPrecision.F16)
                {
                    RoundToHalf(kCache.Slice((start + i) * kvDim, kvDim));
                    RoundToHalf(vCache.Slice((start + i) * kvDim, kvDim));
                }
            }
            prof?.Lap(OpKind.RopeAndCache, ref t, 3.0 * n * (qDim + kvDim), 4.0 * n * (qDim + 3 * kvDim));
            Attend(q, kCache[..((start + n) * kvDim)], vCache[..((start + n) * kvDim)], att, n, start, s.Precision == KvPrecision.F16);
            // Each query reads start+i+1 cached positions: QK and PV are 2 FLOPs per element each.
            double keysRead = n * (double)start + n * (n + 1) / 2.0;
            prof?.Lap(OpKind.Attention, ref t, 4.0 * keysRead * qDim, 8.0 * keysRead * kvDim + 8.0 * n * qDim);
            Observer?.Observe(l, LinearInput.AttentionOutput, att, n);
            Project(w.Wo, att, xb2, n);
            prof?.Lap(OpKind.OutputProjection, ref t, MatMulFlops(w.Wo, n), MatMulBytes(w.Wo, n));
            Activations.Add(x, xb2);
            prof?.Lap(OpKind.Residual, ref t, n * hidden, 12.0 * n * hidden);

            RmsNorm.Forward(x, w.FfnNorm, xb, c.RmsEps);
            prof?.Lap(OpKind.RmsNorm, ref t, normFlops, normBytes);
            Observer?.Observe(l, LinearInput.Mlp, xb, n);
            Project(w.Gate, xb, gate, n);
            Project(w.Up, xb, up, n);
            prof?.Lap(OpKind.GateUp, ref t, MatMulFlops(w.Gate, n) + MatMulFlops(w.Up, n), MatMulBytes(w.Gate, n) + MatMulBytes(w.Up, n));
            Activations.SwiGlu(gate, up);
            prof?.Lap(OpKind.SwiGlu, ref t, 6.0 * n * ff, 12.0 * n * ff);
            Observer?.Observe(l, LinearInput.Down, gate, n);
            Project(w.Down, gate, xb2, n);
            prof?.Lap(OpKind.Down, ref t, MatMulFlops(w.Down, n), MatMulBytes(w.Down, n));
            Activations.Add(x, xb2);
            prof?.Lap(OpKind.Residual, ref t, n * hidden, 12.0 * n * hidden);
        }
        s.Length = start + n;

        if (!chunkLogits.IsEmpty)
        {
            RmsNorm.Forward(x, Weights.FinalNorm, xb, c.RmsEps);
            prof?.Lap(OpKind.RmsNorm, ref t, normFlops, normBytes);
            MatMul.Forward(Weights.Output, xb, chunkLogits, n);
            chunkLogits.Slice((n - 1) * c.VocabSize, c.VocabSize).CopyTo(s.Logits);
            prof?.Lap(OpKind.Logits, ref t, MatMulFlops(Weights.Output, n), MatMulBytes(Weights.Output, n));
        }
        else
        {
            var lastRow = xb.Slice((n - 1) * hidden, hidden);
            RmsNorm.Forward(x.Slice((n - 1) * hidden, hidden), Weights.FinalNorm, lastRow, c.RmsEps);
            prof?.Lap(OpKind.RmsNorm, ref t, 4.0 * hidden, 8.0 * hidden);
            MatMul.Forward(Weights.Output, lastRow, s.Logits, 1);
            prof?.Lap(OpKind.Logits, ref t, MatMulFlops(Weights.Output, 1), MatMulBytes(Weights.Output, 1));
        }
    }

    private void Attend(Span<float> q, Span<float> keys, Span<float> values, Span<float> att, int n, int start, bool f16)
    {
        var c = Config;
        int heads = c.Heads, kvHeads = c.KvHeads, hd = c.HeadDim;
        int qLen = q.Length, kLen = keys.Length, attLen = att.Length;
        fixed (float* pq = q, pk = keys, pv = values, pa = att)
        {
            float* fq = pq, fk = pk, fv = pv, fa = pa;
            ComputePool.Shared.For(n * heads, 1, (from, to) =>
            {
                var qs = new ReadOnlySpan<float>(fq, qLen);
                var ks = new ReadOnlySpan<float>(fk, kLen);
                var vs = new ReadOnlySpan<float>(fv, kLen);
                var outs = new Span<float>(fa, attLen);
                for (int item = from; item < to; item++)
                {
                    if (f16) CausalAttention.OneF16(qs, ks, vs, outs, item, start, heads, kvHeads, hd);
                    else CausalAttention.One(qs, ks, vs, outs, item, start, heads, kvHeads, hd);
                }
            });
        }
    }

    private static void RoundToHalf(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Half)x[i];
    }
}
