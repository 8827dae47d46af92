using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Bench;

/// <summary>
/// The machine's streaming read bandwidth in the same run: sums a 1 GiB buffer with AVX-512 loads on the compute
/// pool's threads. The yardstick for the decode matmuls' GB/s.
/// </summary>
public unsafe class BandwidthBench : IThroughputBenchmark
{
    private const long Bytes = 1L << 30;
    private NativeBuffer? _buf;

    public double BytesPerInvocation => Bytes;
    public double FlopsPerInvocation => 0;

    [GlobalSetup]
    public void Setup()
    {
        _buf = new NativeBuffer(Bytes);
        new Span<byte>(_buf.Pointer, checked((int)Bytes)).Fill(1); // touch every page
    }

    [GlobalCleanup]
    public void Cleanup() => _buf?.Dispose();

    [Benchmark]
    public float StreamingReadSum()
    {
        var job = new SumJob { Data = (float*)_buf!.Pointer };
        ComputePool.Shared.For((int)(Bytes / 4096), 1024, ref job);
        return job.Data[0];
    }

    // Each index is one 4 KiB page; the per-chunk sum is stored back so the loads cannot be elided.
    private struct SumJob : IRangeJob
    {
        public float* Data;

        public readonly void Execute(int start, int end)
        {
            float* p = Data + (long)start * 1024, stop = Data + (long)end * 1024;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p < stop; p += 64)
            {
                a0 += Vector512.Load(p);
                a1 += Vector512.Load(p + 16);
                a2 += Vector512.Load(p + 32);
                a3 += Vector512.Load(p + 48);
            }
            if (Vector512.Sum(a0 + a1 + a2 + a3) == -1f) Data[0] = 0; // never true: all ones
        }
    }
}
