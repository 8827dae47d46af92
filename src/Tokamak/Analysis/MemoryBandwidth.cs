using System.Diagnostics;
using System.Numerics;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Analysis;

/// <summary>
/// Measures DRAM read bandwidth the way a decode step uses it: every thread streams its slice of a buffer far larger
/// than the caches. The host is shared, so benchmarks measure this in the same run as the thing they compare to it.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>Best of <paramref name="repeats"/> read passes over <paramref name="bytes"/> bytes, in GB/s (1e9).</summary>
    public static double MeasureReadGBs(long bytes = 512L << 20, int repeats = 5)
    {
        using var buf = new NativeBuffer(bytes);
        var floats = buf.AsFloats();
        for (int i = 0; i < floats.Length; i += 1024) floats[i] = i; // touch every page
        float* p = (float*)buf.Pointer;
        int n = floats.Length;
        double best = 0;
        var sums = new float[ComputePool.Shared.Threads * 16];
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            ComputePool.Shared.For(n / 4096, 1, (from, to) =>
            {
                var acc0 = Vector<float>.Zero;
                var acc1 = Vector<float>.Zero;
                int w = Vector<float>.Count;
                for (long i = (long)from * 4096; i < (long)to * 4096; i += 2 * w)
                {
                    acc0 += *(Vector<float>*)(p + i);
                    acc1 += *(Vector<float>*)(p + i + w);
                }
                sums[(from % ComputePool.Shared.Threads) * 16] += Vector.Sum(acc0 + acc1); // keeps the loads alive
            });
            best = Math.Max(best, bytes / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
