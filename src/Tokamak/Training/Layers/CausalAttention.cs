using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// Causal grouped-query attention over packed sequences: query head h reads key/value head h / (heads / kvHeads),
/// and token t attends to tokens [start(t), t] of its own sequence. Forward keeps only the log-sum-exp of each
/// score row; backward recomputes the probabilities from it (flash-attention style), so memory is O(T·heads), not O(T²).
/// </summary>
public static class CausalAttention
{
    /// <summary>
    /// <c>out [T, heads·D] = softmax(q·kᵀ/√D) · v</c> with <c>q [T, heads·D]</c>, <c>k, v [T, kvHeads·D]</c>;
    /// saves <c>lse [T, heads]</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, PackedSequences seqs,
        Span<float> output, Span<float> lse, int heads, int kvHeads, int headDim)
    {
        int T = seqs.Tokens;
        Check(q, k, v, output, lse, T, heads, kvHeads, headDim);
        unsafe
        {
            fixed (float* pq = q, pk = k, pv = v, po = output, pl = lse)
            {
                float* qp = pq, kp = pk, vp = pv, op = po, lp = pl;
                int[] starts = seqs.Starts;
                ComputePool.Shared.For(T * heads, 4, (begin, end) =>
                {
                    var scores = new float[T];
                    for (int item = begin; item < end; item++)
                        Row(qp, kp, vp, op, lp, starts, item / heads, item % heads, heads, kvHeads, headDim, scores);
                });
            }
        }
    }

    private static unsafe void Row(float* q, float* k, float* v, float* o, float* lse, int[] starts, int t, int h,
        int heads, int kvHeads, int D, float[] scores)
    {
        int group = heads / kvHeads, kh = h / group, qRow = heads * D, kvRow = kvHeads * D;
        float scale = 1f / MathF.Sqrt(D);
        var qv = new ReadOnlySpan<float>(q + (long)t * qRow + h * D, D);
        int s0 = starts[t], len = t - s0 + 1;
        var sc = scores.AsSpan(0, len);
        for (int j = 0; j < len; j++)
            sc[j] = TensorPrimitives.Dot(qv, new ReadOnlySpan<float>(k + (long)(s0 + j) * kvRow + kh * D, D)) * scale;
        float max = TensorPrimitives.Max(sc);
        TensorPrimitives.Subtract(sc, max, sc);
        TensorPrimitives.Exp(sc, sc);
        float sum = TensorPrimitives.Sum(sc);
        var ov = new Span<float>(o + (long)t * qRow + h * D, D);
        ov.Clear();
        float inv = 1f / sum;
        for (int j = 0; j < len; j++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)(s0 + j) * kvRow + kh * D, D), sc[j] * inv, ov, ov);
        lse[(long)t * heads + h] = max + MathF.Log(sum);
    }

    /// <summary>
    /// Given <c>dOut [T, heads·D]</c>: adds into <c>dq</c>, <c>dk</c>, <c>dv</c>. Work is split by (sequence, kv head),
    /// so every gradient row has exactly one writer.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dOut, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> output, ReadOnlySpan<float> lse, PackedSequences seqs,
        Span<float> dq, Span<float> dk, Span<float> dv, int heads, int kvHeads, int headDim)
    {
        int T = seqs.Tokens;
        Check(q, k, v, output, lse, T, heads, kvHeads, headDim);
        Check(dq, dk, dv, dOut, lse, T, heads, kvHeads, headDim);
        unsafe
        {
            fixed (float* pdo = dOut, pq = q, pk = k, pv = v, po = output, pl = lse, pdq = dq, pdk = dk, pdv = dv)
            {
                float* dop = pdo, qp = pq, kp = pk, vp = pv, op = po, lp = pl, dqp = pdq, dkp = pdk, dvp = pdv;
                int[] cu = seqs.CuSeqlens;
                int items = seqs.Count * kvHeads;
                ComputePool.Shared.For(items, 1, (begin, end) =>
                {
                    for (int item = begin; item < end; item++)
                        BackwardBlock(dop, qp, kp, vp, op, lp, dqp, dkp, dvp, cu[item / kvHeads], cu[item / kvHeads + 1], item % kvHeads, heads, kvHeads, headDim);
                });
            }
        }
    }

    private static unsafe void BackwardBlock(float* dOut, float* q, float* k, float* v, float* o, float* lse,
        float* dq, float* dk, float* dv, int s0, int s1, int kh, int heads, int kvHeads, int D)
    {
        int group = heads / kvHeads, qRow = heads * D, kvRow = kvHeads * D;
        float scale = 1f / MathF.Sqrt(D);
        for (int h = kh * group; h < (kh + 1) * group; h++)
            for (int t = s0; t < s1; t++)
            {
                long qi = (long)t * qRow + h * D;
                var qv = new ReadOnlySpan<float>(q + qi, D);
                var dov = new ReadOnlySpan<float>(dOut + qi, D);
                var dqv = new Span<float>(dq + qi, D);
                float rowDot = TensorPrimitives.Dot(dov, new ReadOnlySpan<float>(o + qi, D)); // Σ_j p_j · dp_j
                float l = lse[(long)t * heads + h];
                for (int j = s0; j <= t; j++)
                {
                    long ki = (long)j * kvRow + kh * D;
                    var kv = new ReadOnlySpan<float>(k + ki, D);
                    var vv = new ReadOnlySpan<float>(v + ki, D);
                    float p = MathF.Exp(TensorPrimitives.Dot(qv, kv) * scale - l);
                    var dvv = new Span<float>(dv + ki, D);
                    TensorPrimitives.MultiplyAdd(dov, p, dvv, dvv);
                    float ds = p * (TensorPrimitives.Dot(dov, vv) - rowDot) * scale;
                    TensorPrimitives.MultiplyAdd(kv, ds, dqv, dqv);
                    var dkv = new Span<float>(dk + ki, D);
                    TensorPrimitives.MultiplyAdd(qv, ds, dkv, dkv);
                }
            }
    }

    private static void Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> o,
        ReadOnlySpan<float> lse, int T, int heads, int kvHeads, int D)
    {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"heads ({heads}) must be a positive multiple of kv heads ({kvHeads})");
        if (q.Length < (long)T * heads * D || o.Length < (long)T * heads * D) throw new ArgumentException($"attention q/out need [{T}, {heads}·{D}] floats");
        if (k.Length < (long)T * kvHeads * D || v.Length < (long)T * kvHeads * D) throw new ArgumentException($"attention k/v need [{T}, {kvHeads}·{D}] floats");
        if (lse.Length < (long)T * heads) throw new ArgumentException($"attention lse needs [{T}, {heads}] floats");
    }
}
