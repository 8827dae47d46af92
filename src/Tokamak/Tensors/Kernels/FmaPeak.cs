using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Measures the F32 FMA peak of the active instruction set on all threads of <see cref="ComputePool.Shared"/>:
/// 12 independent accumulator chains (enough to hide FMA latency on two pipes) on register-resident data, no memory
/// traffic. The host may be shared, so benchmarks measure it in the same run as the kernels they compare to it.
/// </summary>
public static class FmaPeak
{
    private const int Iterations = 1 << 20;

    /// <summary>Best of <paramref name="repeats"/> runs, in GFLOP/s (one FMA = 2 FLOPs).</summary>
    public static double MeasureGFlops(int repeats = 5)
    {
        var pool = ComputePool.Shared;
        bool wide = KernelIsa.Active == Isa.Avx512;
        int lanes = wide ? 16 : KernelIsa.Active == Isa.Avx2 ? 8 : 1;
        var sink = new float[pool.Threads * 16];
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            pool.For(pool.Threads, 1, (from, to) =>
            {
                for (int t = from; t < to; t++) sink[t * 16] = wide ? Run512() : lanes == 8 ? Run256() : RunScalar();
            });
            double flops = 2.0 * 12 * lanes * Iterations * pool.Threads;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512()
    {
        var m = Vector512.Create(0.999999f); var a = Vector512.Create(1e-7f);
        var c0 = Vector512<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
        var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256()
    {
        var m = Vector256.Create(0.999999f); var a = Vector256.Create(1e-7f);
        var c0 = Vector256<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
        var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float RunScalar()
    {
        float c = 0;
        for (int i = 0; i < Iterations * 12; i++) c = MathF.FusedMultiplyAdd(c, 0.999999f, 1e-7f);
        return c;
    }
}
