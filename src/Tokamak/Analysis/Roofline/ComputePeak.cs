using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Analysis.Roofline;

/// <summary>
/// Micro-benchmarks of this machine's arithmetic peaks, run on every thread of <see cref="ComputePool.Shared"/>.
/// Each thread keeps 12 independent accumulators in registers so both FMA pipes stay busy (one chain would be
/// bound by the 4-cycle FMA latency, not throughput) and never touches memory inside the timed loop.
/// </summary>
public static class ComputePeak
{
    private const int Accumulators = 12;

    /// <summary>fp32 fused multiply-add throughput, GFLOP/s: the kernel layer's <see cref="FmaPeak"/>, so every report uses one measurement.</summary>
    public static double Fp32GFlops() => FmaPeak.MeasureGFlops();

    /// <summary>
    /// Best-of-<paramref name="repeats"/> 8-bit integer dot-product throughput, GOP/s (a multiply and an add per
    /// element pair). .NET 10 exposes VNNI only as 256-bit AVX-VNNI (absent on Zen 5, which has AVX512-VNNI), so
    /// this measures the instruction the int8 kernels use here: <c>vpmaddwd</c> on int8 values widened to int16
    /// (32 multiply-adds per zmm instruction). Returns 0 without AVX-512 BW or AVX2.
    /// </summary>
    public static double Int8GOps(long itersPerThread = 4_000_000, int repeats = 3)
    {
        int threads = ComputePool.Shared.Threads;
        double pairs = Avx512BW.IsSupported ? 32 : Avx2.IsSupported ? 16 : 0;
        if (pairs == 0) return 0;
        double ops = 2.0 * pairs * Accumulators * itersPerThread * threads;
        var sink = new int[threads * 16];
        return Best(repeats, ops, () => ComputePool.Shared.For(threads, 1, (from, to) =>
        {
            for (int t = from; t < to; t++) sink[t * 16] += Avx512BW.IsSupported ? Madd512(itersPerThread) : Madd256(itersPerThread);
        })) / 1e9;
    }

    private static double Best(int repeats, double work, Action run)
    {
        run(); // warm-up: JIT and wake the workers
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Max(best, work / sw.Elapsed.TotalSeconds);
        }
        return best;
    }



    private static int Madd512(long iters)
    {
        var a = Vector512.Create((short)3);
        var b = Vector512.Create((short)-5);
        Vector512<int> c0 = Vector512<int>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector512<int> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iters; i++)
        {
            c0 += Avx512BW.MultiplyAddAdjacent(a, b); c1 += Avx512BW.MultiplyAddAdjacent(b, a);
            c2 += Avx512BW.MultiplyAddAdjacent(a, a); c3 += Avx512BW.MultiplyAddAdjacent(b, b);
            c4 += Avx512BW.MultiplyAddAdjacent(a, b); c5 += Avx512BW.MultiplyAddAdjacent(b, a);
            c6 += Avx512BW.MultiplyAddAdjacent(a, a); c7 += Avx512BW.MultiplyAddAdjacent(b, b);
            c8 += Avx512BW.MultiplyAddAdjacent(a, b); c9 += Avx512BW.MultiplyAddAdjacent(b, a);
            c10 += Avx512BW.MultiplyAddAdjacent(a, a); c11 += Avx512BW.MultiplyAddAdjacent(b, b);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static int Madd256(long iters)
    {
        var a = Vector256.Create((short)3);
        var b = Vector256.Create((short)-5);
        Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector256<int> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iters; i++)
        {
            c0 += Avx2.MultiplyAddAdjacent(a, b); c1 += Avx2.MultiplyAddAdjacent(b, a);
            c2 += Avx2.MultiplyAddAdjacent(a, a); c3 += Avx2.MultiplyAddAdjacent(b, b);
            c4 += Avx2.MultiplyAddAdjacent(a, b); c5 += Avx2.MultiplyAddAdjacent(b, a);
            c6 += Avx2.MultiplyAddAdjacent(a, a); c7 += Avx2.MultiplyAddAdjacent(b, b);
            c8 += Avx2.MultiplyAddAdjacent(a, b); c9 += Avx2.MultiplyAddAdjacent(b, a);
            c10 += Avx2.MultiplyAddAdjacent(a, a); c11 += Avx2.MultiplyAddAdjacent(b, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
