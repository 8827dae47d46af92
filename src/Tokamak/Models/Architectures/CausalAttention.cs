using System.Numerics.Tensors;

namespace Tokamak.Models.Architectures;

/// <summary>
/// Causal grouped-query attention of a chunk of queries against a contiguous KV cache, computed flash-style: keys are
/// visited in tiles with a running max and sum (online softmax), so no <c>[queries, keys]</c> score matrix exists.
/// </summary>
public static class CausalAttention
{
    private const int Tile = 64;

    /// <summary>
    /// out[i, h] = softmax(q[i, h] · K[0..p_i]ᵀ · scale) · V[0..p_i] where p_i = <paramref name="startPos"/> + i.
    /// q, out: [n, heads, headDim]; keys, values: [positions, kvHeads, headDim].
    /// </summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int n, int startPos, int heads, int kvHeads, int headDim)
    {
        for (int item = 0; item < n * heads; item++) One(q, keys, values, output, item, startPos, heads, kvHeads, headDim);
    }

    /// <summary>Computes one (query, head) pair: <paramref name="item"/> = query · heads + head.</summary>
    public static void One(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int item, int startPos, int heads, int kvHeads, int headDim)
    {
        int i = item / heads, h = item % heads;
        int kvh = h / (heads / kvHeads);
        int kvDim = kvHeads * headDim;
        int last = startPos + i; // inclusive
        float scale = 1f / MathF.Sqrt(headDim);
        var qv = q.Slice(item * headDim, headDim);
        var acc = output.Slice(item * headDim, headDim);
        acc.Clear();
        Span<float> s = stackalloc float[Tile];
        float max = float.NegativeInfinity, sum = 0;
        for (int t0 = 0; t0 <= last; t0 += Tile)
        {
            int len = Math.Min(Tile, last + 1 - t0);
            float tileMax = float.NegativeInfinity;
            for (int j = 0; j < len; j++)
            {
                s[j] = TensorPrimitives.Dot(qv, keys.Slice((t0 + j) * kvDim + kvh * headDim, headDim)) * scale;
                tileMax = MathF.Max(tileMax, s[j]);
            }
            float newMax = MathF.Max(max, tileMax);
            float correction = MathF.Exp(max - newMax); // 0 on the first tile (max = -inf)
            if (correction != 1f)
            {
                TensorPrimitives.Multiply(acc, correction, acc);
                sum *= correction;
            }
            for (int j = 0; j < len; j++)
            {
                float p = MathF.Exp(s[j] - newMax);
                sum += p;
                TensorPrimitives.MultiplyAdd(values.Slice((t0 + j) * kvDim + kvh * headDim, headDim), p, acc, acc);
            }
            max = newMax;
        }
        TensorPrimitives.Multiply(acc, 1f / sum, acc);
    }

    /// <summary>
    /// llama.cpp-compatible numerics for an F16 KV cache: keys/values are already F16-rounded in the cache, and like
    /// ggml's F16 matmuls the query and the normalized softmax probabilities are rounded to F16 before their dot
    /// products. Two passes over the keys (max/sum, then weights) so no score row is stored.
    /// </summary>
    public static void OneF16(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int item, int startPos, int heads, int kvHeads, int headDim)
    {
        int i = item / heads, h = item % heads;
        int kvh = h / (heads / kvHeads);
        int kvDim = kvHeads * headDim;
        int last = startPos + i;
        float scale = 1f / MathF.Sqrt(headDim);
        Span<float> qv = stackalloc float[headDim];
        for (int e = 0; e < headDim; e++) qv[e] = (float)(Half)q[item * headDim + e];
        var acc = output.Slice(item * headDim, headDim);
        acc.Clear();
        float max = float.NegativeInfinity;
        for (int t = 0; t <= last; t++) max = MathF.Max(max, TensorPrimitives.Dot(qv, keys.Slice(t * kvDim + kvh * headDim, headDim)) * scale);
        double sum = 0;
        for (int t = 0; t <= last; t++) sum += MathF.Exp(TensorPrimitives.Dot(qv, keys.Slice(t * kvDim + kvh * headDim, headDim)) * scale - max);
        float inv = (float)(1 / sum);
        for (int t = 0; t <= last; t++)
        {
            float p = MathF.Exp(TensorPrimitives.Dot(qv, keys.Slice(t * kvDim + kvh * headDim, headDim)) * scale - max) * inv;
            TensorPrimitives.MultiplyAdd(values.Slice(t * kvDim + kvh * headDim, headDim), (float)(Half)p, acc, acc);
        }
    }

    /// <summary>Scalar reference: full score row, naive softmax, weighted sum (double accumulation).</summary>
    public static void ForwardScalar(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int n, int startPos, int heads, int kvHeads, int headDim)
    {
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        for (int i = 0; i < n; i++)
        {
            int last = startPos + i;
            var scores = new double[last + 1];
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / group;
                double max = double.NegativeInfinity;
                for (int t = 0; t <= last; t++)
                {
                    double d = 0;
                    for (int e = 0; e < headDim; e++) d += (double)q[(i * heads + h) * headDim + e] * keys[t * kvDim + kvh * headDim + e];
                    scores[t] = d / Math.Sqrt(headDim);
                    max = Math.Max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t <= last; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                for (int e = 0; e < headDim; e++)
                {
                    double o = 0;
                    for (int t = 0; t <= last; t++) o += scores[t] / sum * values[t * kvDim + kvh * headDim + e];
                    output[(i * heads + h) * headDim + e] = (float)o;
                }
            }
        }
    }
}
