using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Decode y[o] = Σ_i W[o, i] · x[i] with W read in its stored format and converted in registers (F32 FMA), 4 rows
/// per pass with their horizontal sums reduced together. Prefill (n &gt; 1) is <see cref="PrefillGemm"/>; the
/// scalar path here also serves n &gt; 1 as the portable fallback.
/// </summary>
internal static unsafe class MatMulFloatKernels
{

    // Decode rows up to this size are read one after another (one linear stream per thread); longer rows 4 at a
    // time. Measured on Zen, BF16 with 2 threads: [4864, 896] and the logits 10.7 → 18.2 GB/s read linearly, while
    // [896, 4864] ran 14.5 GB/s interleaved and 11 GB/s linearly.
    private const int ShortRowBytes = 4096;

    /// <summary>Rows [start, end) of the output for all n activation rows, AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows512<TW>(byte* w, long rowBytes, float* x, float* y, int n, int inDim, int outDim, int start, int end)
        where TW : IWeightFormat
    {
        int vecEnd = inDim & ~15;
        int o = start;
        if (n == 1)
        {
            // Software prefetch a few 4-row passes ahead: short rows end before the hardware prefetcher ramps up.
            long ahead = MatVecBlockKernels.PrefetchGroups * 4 * rowBytes;
            int bytesPer16 = (int)(rowBytes * 16 / Math.Max(1, inDim));
            if (rowBytes <= ShortRowBytes)
            {
                // Short rows one after another: one linear stream through the chunk.
                for (; o + 4 <= end; o += 4)
                {
                    byte* w0 = w + o * rowBytes;
                    var a0 = Row512<TW>(w0, x, vecEnd, ahead, bytesPer16);
                    var a1 = Row512<TW>(w0 + rowBytes, x, vecEnd, ahead, bytesPer16);
                    var a2 = Row512<TW>(w0 + 2 * rowBytes, x, vecEnd, ahead, bytesPer16);
                    var a3 = Row512<TW>(w0 + 3 * rowBytes, x, vecEnd, ahead, bytesPer16);
                    var t4 = vecEnd == inDim ? Vector128<float>.Zero : Vector128.Create(
                        Tail<TW>(w0, x, vecEnd, inDim), Tail<TW>(w0 + rowBytes, x, vecEnd, inDim),
                        Tail<TW>(w0 + 2 * rowBytes, x, vecEnd, inDim), Tail<TW>(w0 + 3 * rowBytes, x, vecEnd, inDim));
                    MatVecBlockKernels.StoreSums4(y + o, a0, a1, a2, a3, t4);
                }
            }
            for (; o + 4 <= end; o += 4)
            {
                byte* w0 = w + o * rowBytes;
                byte* pf = w0 + ahead;
                var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                for (int i = 0; i < vecEnd; i += 16, pf += bytesPer16)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + rowBytes);
                    Sse.Prefetch0(pf + 2 * rowBytes);
                    Sse.Prefetch0(pf + 3 * rowBytes);
                    var xv = Vector512.Load(x + i);
                    a0 = Vector512.FusedMultiplyAdd(TW.Load16(w0, i), xv, a0);
                    a1 = Vector512.FusedMultiplyAdd(TW.Load16(w0 + rowBytes, i), xv, a1);
                    a2 = Vector512.FusedMultiplyAdd(TW.Load16(w0 + 2 * rowBytes, i), xv, a2);
                    a3 = Vector512.FusedMultiplyAdd(TW.Load16(w0 + 3 * rowBytes, i), xv, a3);
                }
                var tails = vecEnd == inDim ? Vector128<float>.Zero : Vector128.Create(
                    Tail<TW>(w0, x, vecEnd, inDim), Tail<TW>(w0 + rowBytes, x, vecEnd, inDim),
                    Tail<TW>(w0 + 2 * rowBytes, x, vecEnd, inDim), Tail<TW>(w0 + 3 * rowBytes, x, vecEnd, inDim));
                MatVecBlockKernels.StoreSums4(y + o, a0, a1, a2, a3, tails);
            }
        }
        for (; o < end; o++)
        {
            byte* w0 = w + o * rowBytes;
            for (int b = 0; b < n; b++)
            {
                float* xb = x + (long)b * inDim;
                var a0 = Vector512<float>.Zero;
                for (int i = 0; i < vecEnd; i += 16)
                    a0 = Vector512.FusedMultiplyAdd(TW.Load16(w0, i), Vector512.Load(xb + i), a0);
                y[(long)b * outDim + o] = Vector512.Sum(a0) + Tail<TW>(w0, xb, vecEnd, inDim);
            }
        }
    }

    /// <summary>Rows [start, end) of the output for all n activation rows, AVX2 (same tiling, 8-wide).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows256<TW>(byte* w, long rowBytes, float* x, float* y, int n, int inDim, int outDim, int start, int end)
        where TW : IWeightFormat
    {
        int vecEnd = inDim & ~7;
        int o = start;
        if (n == 1)
        {
            for (; o + 4 <= end; o += 4)
            {
                byte* w0 = w + o * rowBytes;
                var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
                for (int i = 0; i < vecEnd; i += 8)
                {
                    var xv = Vector256.Load(x + i);
                    a0 = Vector256.FusedMultiplyAdd(TW.Load8(w0, i), xv, a0);
                    a1 = Vector256.FusedMultiplyAdd(TW.Load8(w0 + rowBytes, i), xv, a1);
                    a2 = Vector256.FusedMultiplyAdd(TW.Load8(w0 + 2 * rowBytes, i), xv, a2);
                    a3 = Vector256.FusedMultiplyAdd(TW.Load8(w0 + 3 * rowBytes, i), xv, a3);
                }
                y[o] = Vector256.Sum(a0) + Tail<TW>(w0, x, vecEnd, inDim);
                y[o + 1] = Vector256.Sum(a1) + Tail<TW>(w0 + rowBytes, x, vecEnd, inDim);
                y[o + 2] = Vector256.Sum(a2) + Tail<TW>(w0 + 2 * rowBytes, x, vecEnd, inDim);
                y[o + 3] = Vector256.Sum(a3) + Tail<TW>(w0 + 3 * rowBytes, x, vecEnd, inDim);
            }
        }
        for (; o < end; o++)
        {
            byte* w0 = w + o * rowBytes;
            for (int b = 0; b < n; b++)
            {
                float* xb = x + (long)b * inDim;
                var a0 = Vector256<float>.Zero;
                for (int i = 0; i < vecEnd; i += 8)
                    a0 = Vector256.FusedMultiplyAdd(TW.Load8(w0, i), Vector256.Load(xb + i), a0);
                y[(long)b * outDim + o] = Vector256.Sum(a0) + Tail<TW>(w0, xb, vecEnd, inDim);
            }
        }
    }

    // Elements [0, vecEnd) of one row as 16 partial sums: two accumulators over alternate vectors, one software
    // prefetch per 32 elements (a line of BF16/F16; F32 rows leave every other line to the hardware prefetcher).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row512<TW>(byte* row, float* x, int vecEnd, long ahead, int bytesPer16) where TW : IWeightFormat
    {
        var a = Vector512<float>.Zero; var c = a;
        int i = 0;
        for (; i + 32 <= vecEnd; i += 32)
        {
            Sse.Prefetch0(row + ahead + (long)i * bytesPer16 / 16);
            a = Vector512.FusedMultiplyAdd(TW.Load16(row, i), Vector512.Load(x + i), a);
            c = Vector512.FusedMultiplyAdd(TW.Load16(row, i + 16), Vector512.Load(x + i + 16), c);
        }
        if (i < vecEnd) a = Vector512.FusedMultiplyAdd(TW.Load16(row, i), Vector512.Load(x + i), a);
        return a + c;
    }

    /// <summary>Portable scalar path (no SIMD), float accumulation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsScalar<TW>(byte* w, long rowBytes, float* x, float* y, int n, int inDim, int outDim, int start, int end)
        where TW : IWeightFormat
    {
        for (int o = start; o < end; o++)
        {
            byte* wr = w + o * rowBytes;
            for (int b = 0; b < n; b++)
                y[(long)b * outDim + o] = Tail<TW>(wr, x + (long)b * inDim, 0, inDim);
        }
    }

    // Elements [from, to) one at a time: the part of a row past the last whole vector.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<TW>(byte* row, float* x, int from, int to) where TW : IWeightFormat
    {
        float s = 0;
        for (int i = from; i < to; i++) s += TW.Load1(row, i) * x[i];
        return s;
    }
}
