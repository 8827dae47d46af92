using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;
using Tokamak.Training.Kernels;

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
                var job = new Job { Q = pq, K = pk, V = pv, O = po, Lse = pl, Cu = seqs.CuSeqlens, Heads = heads, KvHeads = kvHeads, D = headDim, Backward = false };
                ComputePool.Shared.For(seqs.Count * heads, 1, ref job);
            }
        }
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
                var job = new Job
                {
                    Q = pq, K = pk, V = pv, O = po, Lse = pl, DOut = pdo, DQ = pdq, DK = pdk, DV = pdv, Cu = seqs.CuSeqlens,
                    Heads = heads, KvHeads = kvHeads, D = headDim, Backward = true,
                };
                ComputePool.Shared.For(seqs.Count * kvHeads, 1, ref job);
            }
        }
    }

    // Query rows per block: scores live in a [RowBlock, len] scratch, and only keys [0, end of block) are touched,
    // so the causal upper triangle costs at most one block of wasted work per row block.
    private const int RowBlock = 64;

    [ThreadStatic] private static float[]? _scratch;

    private unsafe struct Job : IRangeJob
    {
        public float* Q, K, V, O, Lse, DOut, DQ, DK, DV;
        public int[] Cu;
        public int Heads, KvHeads, D;
        public bool Backward;

        public readonly void Execute(int start, int end)
        {
            for (int item = start; item < end; item++)
            {
                if (Backward)
                {
                    int s = item / KvHeads, kh = item % KvHeads, group = Heads / KvHeads;
                    for (int h = kh * group; h < (kh + 1) * group; h++) HeadBackward(Cu[s], Cu[s + 1], h);
                }
                else HeadForward(Cu[item / Heads], Cu[item / Heads + 1], item % Heads);
            }
        }

        private static float* Scratch(int floats)
        {
            var a = _scratch;
            if (a == null || a.Length < floats) _scratch = a = GC.AllocateUninitializedArray<float>(floats, pinned: true);
            return (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref a[0]);
        }

        // out_h = softmax(q_h · k_hᵀ / √D) · v_h for one sequence [s0, s1) and query head h.
        private readonly void HeadForward(int s0, int s1, int h)
        {
            int len = s1 - s0, kh = h / (Heads / KvHeads), qRow = Heads * D, kvRow = KvHeads * D;
            float scale = 1f / MathF.Sqrt(D);
            float* q = Q + (long)s0 * qRow + h * D, k = K + (long)s0 * kvRow + kh * D, v = V + (long)s0 * kvRow + kh * D;
            float* o = O + (long)s0 * qRow + h * D;
            float* p = Scratch(RowBlock * len);
            for (int i0 = 0; i0 < len; i0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, len - i0), keys = i0 + rows;
                // p [rows, keys] = q [i0.., D] · k [0..keys, D]ᵀ
                TrainGemm.Strided(q + (long)i0 * qRow, qRow, false, k, kvRow, true, p, len, rows, keys, D, false);
                for (int r = 0; r < rows; r++)
                {
                    var row = new Span<float>(p + (long)r * len, keys);
                    int valid = i0 + r + 1;
                    var sc = row[..valid];
                    TensorPrimitives.Multiply(sc, scale, sc);
                    float max = TensorPrimitives.Max(sc);
                    TensorPrimitives.Subtract(sc, max, sc);
                    TensorPrimitives.Exp(sc, sc);
                    float sum = TensorPrimitives.Sum(sc);
                    TensorPrimitives.Multiply(sc, 1f / sum, sc);
                    row[valid..].Clear();
                    Lse[(long)(s0 + i0 + r) * Heads + h] = max + MathF.Log(sum);
                }
                // out [i0.., D] = p [rows, keys] · v [0..keys, D]
                TrainGemm.Strided(p, len, false, v, kvRow, false, o + (long)i0 * qRow, qRow, rows, D, keys, false);
            }
        }

        // Flash-attention backward from the saved log-sum-exp: P is recomputed block by block.
        private readonly void HeadBackward(int s0, int s1, int h)
        {
            int len = s1 - s0, kh = h / (Heads / KvHeads), qRow = Heads * D, kvRow = KvHeads * D;
            float scale = 1f / MathF.Sqrt(D);
            long qOff = (long)s0 * qRow + h * D, kvOff = (long)s0 * kvRow + kh * D;
            float* q = Q + qOff, o = O + qOff, dO = DOut + qOff, dq = DQ + qOff;
            float* k = K + kvOff, v = V + kvOff, dk = DK + kvOff, dv = DV + kvOff;
            float* p = Scratch(2 * RowBlock * len);
            float* dp = p + RowBlock * len;
            for (int i0 = 0; i0 < len; i0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, len - i0), keys = i0 + rows;
                TrainGemm.Strided(q + (long)i0 * qRow, qRow, false, k, kvRow, true, p, len, rows, keys, D, false);
                // dp [rows, keys] = dO [i0.., D] · v [0..keys, D]ᵀ
                TrainGemm.Strided(dO + (long)i0 * qRow, qRow, false, v, kvRow, true, dp, len, rows, keys, D, false);
                for (int r = 0; r < rows; r++)
                {
                    int t = i0 + r, valid = t + 1;
                    var pr = new Span<float>(p + (long)r * len, keys);
                    var dr = new Span<float>(dp + (long)r * len, keys);
                    var sc = pr[..valid];
                    // P = exp(s·scale − lse); dS = P ⊙ (dP − Σ_j P_j dP_j) · scale, with Σ_j P_j dP_j = dO·O.
                    TensorPrimitives.Multiply(sc, scale, sc);
                    TensorPrimitives.Subtract(sc, Lse[(long)(s0 + t) * Heads + h], sc);
                    TensorPrimitives.Exp(sc, sc);
                    float rowDot = TensorPrimitives.Dot(new ReadOnlySpan<float>(dO + (long)t * qRow, D), new ReadOnlySpan<float>(o + (long)t * qRow, D));
                    var ds = dr[..valid];
                    TensorPrimitives.Subtract(ds, rowDot, ds);
                    TensorPrimitives.Multiply(ds, sc, ds);
                    TensorPrimitives.Multiply(ds, scale, ds);
                    pr[valid..].Clear();
                    dr[valid..].Clear();
                }
                // dv [0..keys] += Pᵀ · dO [i0..]; dq [i0..] += dS · k [0..keys]; dk [0..keys] += dSᵀ · q [i0..]
                TrainGemm.Strided(p, len, true, dO + (long)i0 * qRow, qRow, false, dv, kvRow, keys, D, rows, true);
                TrainGemm.Strided(dp, len, false, k, kvRow, false, dq + (long)i0 * qRow, qRow, rows, D, keys, true);
                TrainGemm.Strided(dp, len, true, q + (long)i0 * qRow, qRow, false, dk, kvRow, keys, D, rows, true);
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
