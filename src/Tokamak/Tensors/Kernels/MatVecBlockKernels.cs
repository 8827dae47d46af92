using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Decode (n = 1) y[o] = Σ_i W[o, i] · x[i] for block-quantized weights, AVX-512, straight from the blocks
/// (<see cref="IBlockDot"/>). The rows of a chunk are consecutive in memory and are read one after another, so a
/// thread streams one linear range (measured on Zen with Q8_0: 4 rows interleaved, i.e. 4 short streams, ran
/// 20–40 % slower on [4864, 896] and the logits); a software prefetch runs <see cref="PrefetchGroups"/> × 4 rows ahead,
/// and the horizontal sums of 4 rows are reduced together (<see cref="StoreSums4"/>).
/// </summary>
internal static unsafe class MatVecBlockKernels
{
    /// <summary>How many 4-row passes ahead the software prefetch reads.</summary>
    public const int PrefetchGroups = 2;

    [ThreadStatic] private static float[]? _xsum;

    /// <summary>Whether <paramref name="t"/> has a fused AVX-512 decode kernel here.</summary>
    public static bool Handles(DType t) => t is DType.Q8_0 or DType.Q5_0 or DType.Q4_K or DType.Q6_K;

    /// <summary>
    /// Sums of x over each 32 elements (K-quant mins multiply them), in thread-local scratch of the calling
    /// thread; the pointer stays valid until the next call on this thread.
    /// </summary>
    public static float* BlockSums(float* x, int inDim)
    {
        int blocks = inDim / 32;
        var s = _xsum;
        if (s is null || s.Length < blocks) _xsum = s = GC.AllocateUninitializedArray<float>(Math.Max(blocks, 64), pinned: true);
        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s));
        for (int b = 0; b < blocks; b++)
            p[b] = Vector512.Sum(Vector512.Load(x + 32 * b) + Vector512.Load(x + 32 * b + 16));
        return p;
    }

    /// <summary>Rows [start, end) of the output; <paramref name="inDim"/> is a multiple of the block size.</summary>
    public static void Rows(DType t, byte* w, long rowBytes, float* x, float* xsum, float* y, int inDim, int start, int end)
    {
        switch (t)
        {
            case DType.Q8_0: Rows<Q8_0Dot>(w, rowBytes, x, xsum, y, inDim, start, end); break;
            case DType.Q5_0: Rows<Q5_0Dot>(w, rowBytes, x, xsum, y, inDim, start, end); break;
            case DType.Q4_K: Rows<Q4_KDot>(w, rowBytes, x, xsum, y, inDim, start, end); break;
            case DType.Q6_K: Rows<Q6_KDot>(w, rowBytes, x, xsum, y, inDim, start, end); break;
            default: throw new NotSupportedException($"no fused decode kernel for {t}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TB>(byte* w, long rowBytes, float* x, float* xsum, float* y, int inDim, int start, int end)
        where TB : IBlockDot
    {
        int blocks = inDim / TB.Elements, sumsPerBlock = TB.Elements / 32;
        long ahead = PrefetchGroups * 4 * rowBytes;
        int o = start;
        for (; o + 4 <= end; o += 4)
        {
            byte* r0 = w + o * rowBytes;
            float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
            var a0 = Row<TB>(r0, x, xsum, blocks, ahead, ref b0);
            var a1 = Row<TB>(r0 + rowBytes, x, xsum, blocks, ahead, ref b1);
            var a2 = Row<TB>(r0 + 2 * rowBytes, x, xsum, blocks, ahead, ref b2);
            var a3 = Row<TB>(r0 + 3 * rowBytes, x, xsum, blocks, ahead, ref b3);
            StoreSums4(y + o, a0, a1, a2, a3, Vector128.Create(b0, b1, b2, b3));
        }
        for (; o < end; o++)
        {
            byte* r = w + o * rowBytes;
            var a = Vector512<float>.Zero;
            float bias = 0;
            for (int b = 0; b < blocks; b++)
                a = TB.Dot(r + (long)b * TB.Bytes, x + b * TB.Elements, xsum + b * sumsPerBlock, a, ref bias);
            y[o] = Vector512.Sum(a) + bias;
        }
    }

    /// <summary>One row, two accumulators over alternate blocks, one software prefetch per two blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row<TB>(byte* r, float* x, float* xsum, int blocks, long ahead, ref float bias)
        where TB : IBlockDot
    {
        int sumsPerBlock = TB.Elements / 32;
        var a = Vector512<float>.Zero; var c = a;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            byte* blk = r + (long)b * TB.Bytes;
            Sse.Prefetch0(blk + ahead);
            a = TB.Dot(blk, x + b * TB.Elements, xsum + b * sumsPerBlock, a, ref bias);
            c = TB.Dot(blk + TB.Bytes, x + (b + 1) * TB.Elements, xsum + (b + 1) * sumsPerBlock, c, ref bias);
        }
        if (b < blocks) a = TB.Dot(r + (long)b * TB.Bytes, x + b * TB.Elements, xsum + b * sumsPerBlock, a, ref bias);
        return a + c;
    }

    /// <summary>
    /// y[0..4) = the horizontal sums of four accumulators plus <paramref name="bias"/>, reduced together (three
    /// rounds of adds on pairs) rather than one full reduction per accumulator.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums4(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector128<float> bias)
    {
        // 512 → 256: [a0 | a1] halves added, etc.
        var s01 = Vector512.Create(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper());
        var s23 = Vector512.Create(a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper());
        // 256 → 128 per row: lanes [a0 | a1 | a2 | a3], 4 floats each.
        var q = Vector512.Create(
            Vector256.Create(s01.GetLower().GetLower() + s01.GetLower().GetUpper(), s01.GetUpper().GetLower() + s01.GetUpper().GetUpper()),
            Vector256.Create(s23.GetLower().GetLower() + s23.GetLower().GetUpper(), s23.GetUpper().GetLower() + s23.GetUpper().GetUpper()));
        // 4 → 1 per row: two horizontal pair-adds within each 128-bit lane.
        var h = Avx.HorizontalAdd(q.GetLower(), q.GetUpper()); // [a0 01, a0 23, a1 01, a1 23 | a2 .., a3 ..] per lane
        var r = Sse3.HorizontalAdd(h.GetLower(), h.GetUpper());
        // h lanes: low 128 = (a0 pair sums, a2 pair sums), high 128 = (a1, a3); r = [a0, a2, a1, a3].
        var ordered = Sse.Shuffle(r, r, 0b11_01_10_00);
        (ordered + bias).Store(y);
    }
}
