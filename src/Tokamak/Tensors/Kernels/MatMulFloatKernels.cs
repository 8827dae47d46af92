using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// y[b, o] = Σ_i W[o, i] · x[b, i] with W read in its stored format and converted in registers (F32 FMA).
/// Register tiles: decode (n = 1) takes 4 weight rows per pass (4 independent accumulators); prefill takes 2 weight
/// rows × 4 activation rows (8 accumulators), so each weight vector loaded from memory feeds 4 FMAs and the weight
/// rows of a chunk come from DRAM once while the activations are re-read from cache.
/// </summary>
internal static unsafe class MatMulFloatKernels
{
    // Weight panel per thread: up to 512 KiB of F32 rows, so a panel stays in the 1 MiB L2 while all activation
    // row groups pass over it.
    private const int PanelFloats = 128 * 1024;

    [ThreadStatic] private static float[]? _panel;

    // Decode rows up to this size are read one after another (one linear stream per thread); longer rows 4 at a
    // time. Measured on Zen, BF16 with 2 threads: [4864, 896] and the logits 10.7 → 18.2 GB/s read linearly, while
    // [896, 4864] ran 14.5 GB/s interleaved and 11 GB/s linearly.
    private const int ShortRowBytes = 4096;

    /// <summary>
    /// Prefill (n &gt; 1) over output rows [start, end): the rows are taken in panels that fit L2 — converted once
    /// to F32 for non-F32 weights — and every group of 4 activation rows runs the register tiles over the panel.
    /// Weights are thus read from memory and converted once per call, and activations once per panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prefill<TW>(byte* w, long rowBytes, float* x, float* y, int n, int inDim, int outDim, int start, int end, bool avx512)
        where TW : IWeightFormat
    {
        int panelRows = Math.Clamp(PanelFloats / Math.Max(1, inDim), 2, 64) & ~1;
        bool convert = typeof(TW) != typeof(F32Format);
        float* panel = null;
        if (convert)
        {
            var buf = _panel;
            if (buf == null || buf.Length < panelRows * inDim)
                _panel = buf = GC.AllocateUninitializedArray<float>(Math.Max(PanelFloats, panelRows * inDim), pinned: true);
            panel = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
        }
        for (int o0 = start; o0 < end; o0 += panelRows)
        {
            int o1 = Math.Min(end, o0 + panelRows);
            byte* pw = w;
            long prb = rowBytes;
            if (convert)
            {
                for (int o = o0; o < o1; o++)
                {
                    byte* src = w + o * rowBytes;
                    float* dst = panel + (long)(o - o0) * inDim;
                    int i = 0;
                    if (avx512)
                        for (; i + 16 <= inDim; i += 16) TW.Load16(src, i).Store(dst + i);
                    for (; i + 8 <= inDim; i += 8) TW.Load8(src, i).Store(dst + i);
                    for (; i < inDim; i++) dst[i] = TW.Load1(src, i);
                }
                // Row o of the panel view is at panel + (o − o0)·inDim, matching the kernels' w + o·rowBytes.
                prb = (long)inDim * sizeof(float);
                pw = (byte*)panel - o0 * prb;
            }
            for (int b = 0; b < n; b += 4)
            {
                int nb = Math.Min(4, n - b);
                if (avx512) Rows512<F32Format>(pw, prb, x + (long)b * inDim, y + (long)b * outDim, nb, inDim, outDim, o0, o1);
                else Rows256<F32Format>(pw, prb, x + (long)b * inDim, y + (long)b * outDim, nb, inDim, outDim, o0, o1);
            }
        }
    }

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
        else
        {
            for (; o + 2 <= end; o += 2)
            {
                byte* w0 = w + o * rowBytes, w1 = w0 + rowBytes;
                int b = 0;
                for (; b + 4 <= n; b += 4)
                {
                    float* x0 = x + (long)b * inDim, x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
                    var a00 = Vector512<float>.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
                    var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
                    for (int i = 0; i < vecEnd; i += 16)
                    {
                        var v0 = TW.Load16(w0, i);
                        var v1 = TW.Load16(w1, i);
                        var xv = Vector512.Load(x0 + i);
                        a00 = Vector512.FusedMultiplyAdd(v0, xv, a00);
                        a10 = Vector512.FusedMultiplyAdd(v1, xv, a10);
                        xv = Vector512.Load(x1 + i);
                        a01 = Vector512.FusedMultiplyAdd(v0, xv, a01);
                        a11 = Vector512.FusedMultiplyAdd(v1, xv, a11);
                        xv = Vector512.Load(x2 + i);
                        a02 = Vector512.FusedMultiplyAdd(v0, xv, a02);
                        a12 = Vector512.FusedMultiplyAdd(v1, xv, a12);
                        xv = Vector512.Load(x3 + i);
                        a03 = Vector512.FusedMultiplyAdd(v0, xv, a03);
                        a13 = Vector512.FusedMultiplyAdd(v1, xv, a13);
                    }
                    float* yb = y + (long)b * outDim + o;
                    yb[0] = Vector512.Sum(a00) + Tail<TW>(w0, x0, vecEnd, inDim);
                    yb[1] = Vector512.Sum(a10) + Tail<TW>(w1, x0, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector512.Sum(a01) + Tail<TW>(w0, x1, vecEnd, inDim);
                    yb[1] = Vector512.Sum(a11) + Tail<TW>(w1, x1, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector512.Sum(a02) + Tail<TW>(w0, x2, vecEnd, inDim);
                    yb[1] = Vector512.Sum(a12) + Tail<TW>(w1, x2, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector512.Sum(a03) + Tail<TW>(w0, x3, vecEnd, inDim);
                    yb[1] = Vector512.Sum(a13) + Tail<TW>(w1, x3, vecEnd, inDim);
                }
                for (; b < n; b++)
                {
                    float* xb = x + (long)b * inDim;
                    var a0 = Vector512<float>.Zero; var a1 = a0;
                    for (int i = 0; i < vecEnd; i += 16)
                    {
                        var xv = Vector512.Load(xb + i);
                        a0 = Vector512.FusedMultiplyAdd(TW.Load16(w0, i), xv, a0);
                        a1 = Vector512.FusedMultiplyAdd(TW.Load16(w1, i), xv, a1);
                    }
                    y[(long)b * outDim + o] = Vector512.Sum(a0) + Tail<TW>(w0, xb, vecEnd, inDim);
                    y[(long)b * outDim + o + 1] = Vector512.Sum(a1) + Tail<TW>(w1, xb, vecEnd, inDim);
                }
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
        else
        {
            for (; o + 2 <= end; o += 2)
            {
                byte* w0 = w + o * rowBytes, w1 = w0 + rowBytes;
                int b = 0;
                for (; b + 4 <= n; b += 4)
                {
                    float* x0 = x + (long)b * inDim, x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
                    var a00 = Vector256<float>.Zero; var a01 = a00; var a02 = a00; var a03 = a00;
                    var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
                    for (int i = 0; i < vecEnd; i += 8)
                    {
                        var v0 = TW.Load8(w0, i);
                        var v1 = TW.Load8(w1, i);
                        var xv = Vector256.Load(x0 + i);
                        a00 = Vector256.FusedMultiplyAdd(v0, xv, a00);
                        a10 = Vector256.FusedMultiplyAdd(v1, xv, a10);
                        xv = Vector256.Load(x1 + i);
                        a01 = Vector256.FusedMultiplyAdd(v0, xv, a01);
                        a11 = Vector256.FusedMultiplyAdd(v1, xv, a11);
                        xv = Vector256.Load(x2 + i);
                        a02 = Vector256.FusedMultiplyAdd(v0, xv, a02);
                        a12 = Vector256.FusedMultiplyAdd(v1, xv, a12);
                        xv = Vector256.Load(x3 + i);
                        a03 = Vector256.FusedMultiplyAdd(v0, xv, a03);
                        a13 = Vector256.FusedMultiplyAdd(v1, xv, a13);
                    }
                    float* yb = y + (long)b * outDim + o;
                    yb[0] = Vector256.Sum(a00) + Tail<TW>(w0, x0, vecEnd, inDim);
                    yb[1] = Vector256.Sum(a10) + Tail<TW>(w1, x0, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector256.Sum(a01) + Tail<TW>(w0, x1, vecEnd, inDim);
                    yb[1] = Vector256.Sum(a11) + Tail<TW>(w1, x1, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector256.Sum(a02) + Tail<TW>(w0, x2, vecEnd, inDim);
                    yb[1] = Vector256.Sum(a12) + Tail<TW>(w1, x2, vecEnd, inDim);
                    yb += outDim;
                    yb[0] = Vector256.Sum(a03) + Tail<TW>(w0, x3, vecEnd, inDim);
                    yb[1] = Vector256.Sum(a13) + Tail<TW>(w1, x3, vecEnd, inDim);
                }
                for (; b < n; b++)
                {
                    float* xb = x + (long)b * inDim;
                    var a0 = Vector256<float>.Zero; var a1 = a0;
                    for (int i = 0; i < vecEnd; i += 8)
                    {
                        var xv = Vector256.Load(xb + i);
                        a0 = Vector256.FusedMultiplyAdd(TW.Load8(w0, i), xv, a0);
                        a1 = Vector256.FusedMultiplyAdd(TW.Load8(w1, i), xv, a1);
                    }
                    y[(long)b * outDim + o] = Vector256.Sum(a0) + Tail<TW>(w0, xb, vecEnd, inDim);
                    y[(long)b * outDim + o + 1] = Vector256.Sum(a1) + Tail<TW>(w1, xb, vecEnd, inDim);
                }
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
