using Tokamak.Tensors.Kernels;

namespace Tokamak.Analysis.Roofline;

/// <summary>This machine's measured ceilings: DRAM read bandwidth and arithmetic throughput.</summary>
/// <param name="BandwidthGBs">Read bandwidth, GB/s (1e9 bytes).</param>
/// <param name="Fp32GFlops">fp32 FMA throughput, GFLOP/s.</param>
/// <param name="Int8GOps">8-bit integer dot-product throughput, GOP/s (0 when not measurable).</param>
/// <param name="Threads">Threads the figures were measured with.</param>
public sealed record MachinePeaks(double BandwidthGBs, double Fp32GFlops, double Int8GOps, int Threads)
{
    /// <summary>Measures all three on <see cref="ComputePool.Shared"/> (a few seconds).</summary>
    public static MachinePeaks Measure() =>
        new(MemoryBandwidth.MeasureReadGBs(), ComputePeak.Fp32GFlops(), ComputePeak.Int8GOps(), ComputePool.Shared.Threads);

    /// <summary>Arithmetic intensity (FLOP/byte) where the bandwidth roof meets the fp32 compute roof.</summary>
    public double RidgePoint => Fp32GFlops / BandwidthGBs;

    /// <summary>
    /// The roofline: attainable GFLOP/s at arithmetic intensity <paramref name="flopsPerByte"/> is
    /// min(peak, bandwidth × AI).
    /// </summary>
    public static double Attainable(double peakGFlops, double bandwidthGBs, double flopsPerByte) =>
        Math.Min(peakGFlops, bandwidthGBs * flopsPerByte);
}
