using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Kernels;

/// <summary>
/// Measures the machine's FP32 FMA peak: every thread of <see cref="ComputePool.Shared"/> runs 12 independent
/// register-resident FMA chains (no memory traffic) for a fixed time. The denominator of model FLOPs utilization.
/// </summary>
public static class FmaPeak
{
    /// <summary>Sustained FP32 GFLOP/s over all pool threads (an FMA counts as 2 FLOPs).</summary>
    public static double MeasureGflops(TimeSpan duration)
    {
        var job = new Job { Ticks = (long)(duration.TotalSeconds * Stopwatch.Frequency), Flops = new double[ComputePool.Shared.Threads] };
        var sw = Stopwatch.StartNew();
        ComputePool.Shared.For(job.Flops.Length, 1, ref job);
        double seconds = sw.Elapsed.TotalSeconds;
        return job.Flops.Sum() / seconds / 1e9;
    }

    private struct Job : IRangeJob
    {
        public long Ticks;
        public double[] Flops;

        public readonly void Execute(int start, int end)
        {
            for (int t = start; t < end; t++) Flops[t] = Run(Ticks);
        }

        private static double Run(long ticks)
        {
            long until = Stopwatch.GetTimestamp() + ticks;
            double flops = 0;
            bool wide = Avx512F.IsSupported && KernelIsa.Active == Isa.Avx512;
            float sink = 0;
            // The timer call sits outside the FMA loops: a call clobbers every vector register on x64 Unix,
            // which would force the accumulators to memory.
            while (Stopwatch.GetTimestamp() < until)
            {
                sink += wide ? Block512(1 << 16) : Fma.IsSupported ? Block256(1 << 16) : 0;
                flops += (1 << 16) * 12.0 * 2 * (wide ? 16 : Fma.IsSupported ? 8 : 0);
            }
            _sink = sink;
            return flops;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static float Block512(int n)
        {
            var m = Vector512.Create(0.999999f); var a = Vector512.Create(1e-7f);
            var c0 = Vector512.Create(1f); var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
            var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
            for (int i = 0; i < n; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a); c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
                c3 = Avx512F.FusedMultiplyAdd(c3, m, a); c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
                c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a); c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
                c9 = Avx512F.FusedMultiplyAdd(c9, m, a); c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static float Block256(int n)
        {
            var m = Vector256.Create(0.999999f); var a = Vector256.Create(1e-7f);
            var c0 = Vector256.Create(1f); var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
            var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
            for (int i = 0; i < n; i++)
            {
                c0 = Fma.MultiplyAdd(c0, m, a); c1 = Fma.MultiplyAdd(c1, m, a); c2 = Fma.MultiplyAdd(c2, m, a);
                c3 = Fma.MultiplyAdd(c3, m, a); c4 = Fma.MultiplyAdd(c4, m, a); c5 = Fma.MultiplyAdd(c5, m, a);
                c6 = Fma.MultiplyAdd(c6, m, a); c7 = Fma.MultiplyAdd(c7, m, a); c8 = Fma.MultiplyAdd(c8, m, a);
                c9 = Fma.MultiplyAdd(c9, m, a); c10 = Fma.MultiplyAdd(c10, m, a); c11 = Fma.MultiplyAdd(c11, m, a);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        private static volatile float _sink;
    }
}
