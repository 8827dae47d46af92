using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors.Quant;

/// <summary>
/// Quantize → dequantize stays within a per-element bound derived only from the type's bit widths and the input
/// values (not from the encoded block), and re-quantizing dequantized values is exact where the scheme allows it.
/// </summary>
public sealed unsafe class QuantRoundTripTests
{
    public static TheoryData<DType> BlockTypes() =>
        [DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K];

    // F16 scales are rounded up by at most one F16 step (relative 2^-10); allow twice that.
    private const float HalfSlack = 1 + 1f / 512;

    /// <summary>Inputs: Gaussian-ish rows with an offset, plus ragged blocks (zeros, constant, all negative, tiny, one spike).</summary>
    private static float[] Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            x[i] = (float)(g * 0.05 + 0.01);
        }
        int seg = n / 8;
        x.AsSpan(0, seg).Clear();                                     // all zero
        x.AsSpan(seg, seg).Fill(0.75f);                               // constant
        for (int i = 2 * seg; i < 3 * seg; i++) x[i] = -MathF.Abs(x[i]) - 0.2f; // all negative
        for (int i = 3 * seg; i < 4 * seg; i++) x[i] *= 1e-3f;        // tiny (F16 scale near subnormal)
        x[4 * seg + 5] = 3f;                                          // one spike
        return x;
    }

    /// <summary>The documented worst-case error for element i, from the input alone.</summary>
    private static float Bound(DType t, float[] x, int i)
    {
        int bs = DTypes.BlockSize(t);
        var blk = x.AsSpan(i / bs * bs, bs);
        static (float Lo, float Hi, float Amax) Stats(ReadOnlySpan<float> s)
        {
            float lo = float.MaxValue, hi = float.MinValue, amax = 0;
            foreach (float v in s) { lo = MathF.Min(lo, v); hi = MathF.Max(hi, v); amax = MathF.Max(amax, MathF.Abs(v)); }
            return (lo, hi, amax);
        }
        const float Tiny = 1e-7f; // F16 subnormal scales
        switch (t)
        {
            case DType.Q4_1 or DType.Q5_1:
                {
                    // Half a step of range/nmax; min rounded down by ≤ 2^-10·|min| widens the range.
                    int nmax = t == DType.Q4_1 ? 15 : 31;
                    var (lo, hi, _) = Stats(blk);
                    return 0.5f * (hi - lo + MathF.Abs(lo) / 1024) / nmax * HalfSlack + Tiny;
                }
            case DType.Q5_0:
                {
                    // One step of amax/16 (an opposite-sign element near amax clamps at +15).
                    var (_, _, amax) = Stats(blk);
                    return amax / 16 * HalfSlack + Tiny;
                }
            case DType.Q2_K or DType.Q4_K or DType.Q5_K:
                {
                    // Step of sub-block j ≤ (R_j + dmin)/nmax + d, where R_j = max − min(0, min), dmin ≤ maxOff/S and
                    // d ≤ (maxR + dmin)/(nmax·S) for S = 2^scaleBits − 1; error ≤ half a step.
                    int sub = t == DType.Q2_K ? 16 : 32, nmax = t switch { DType.Q2_K => 3, DType.Q4_K => 15, _ => 31 };
                    int S = t == DType.Q2_K ? 15 : 63;
                    float maxOff = 0, maxR = 0;
                    for (int j = 0; j < bs; j += sub)
                    {
                        var (lo, hi, _) = Stats(blk.Slice(j, sub));
                        maxOff = MathF.Max(maxOff, -MathF.Min(0, lo));
                        maxR = MathF.Max(maxR, hi - MathF.Min(0, lo));
                    }
                    float dmin = maxOff / S * HalfSlack;
                    float d = (maxR + dmin) / (nmax * S) * HalfSlack;
                    var (l2, h2, _) = Stats(x.AsSpan(i / sub * sub, sub));
                    return 0.5f * ((h2 - MathF.Min(0, l2) + dmin) / nmax + d) * HalfSlack + Tiny;
                }
            case DType.Q3_K or DType.Q6_K:
                {
                    // One step (the largest magnitude maps to −nmax; an opposite-sign element may clamp at nmax−1);
                    // step_j ≤ amax_j/nmax + d with d ≤ maxAmax/(nmax·S).
                    int nmax = t == DType.Q3_K ? 4 : 32, S = t == DType.Q3_K ? 31 : 127;
                    var (_, _, blockAmax) = Stats(blk);
                    var (_, _, amax) = Stats(x.AsSpan(i / 16 * 16, 16));
                    return (amax / nmax + blockAmax / (nmax * S) * HalfSlack) * HalfSlack + Tiny;
                }
            default: throw new ArgumentException(t.ToString());
        }
    }

    private static float[] RoundTrip(DType t, float[] x)
    {
        var buf = new byte[DTypes.ByteCount(t, x.Length)];
        var y = new float[x.Length];
        fixed (byte* p = buf)
        {
            Quantize.Row(t, x, p);
            Dequant.RowScalar(t, p, y);
        }
        return y;
    }

    [Theory]
    [MemberData(nameof(BlockTypes))]
    public void ErrorIsWithinTheBitWidthBound(DType t)
    {
        var x = Inputs(256 * 16, (int)t);
        var y = RoundTrip(t, x);
        for (int i = 0; i < x.Length; i++)
        {
            float err = MathF.Abs(y[i] - x[i]), bound = Bound(t, x, i);
            Assert.True(err <= bound, $"{t} element {i}: |{y[i]} − {x[i]}| = {err} > bound {bound}");
        }
    }

    [Theory]
    [MemberData(nameof(BlockTypes))]
    public void RmsErrorIsNearAUniformQuantizer(DType t)
    {
        // Gaussian weights: RMS error relative to the RMS value should be in the expected range for the bit width
        // (a b-bit RTN over a block's range gives roughly range/(2^b−1)/√12).
        var x = Inputs(256 * 64, 1000 + (int)t).Skip(256 * 64 * 5 / 8).ToArray(); // only the plain Gaussian part
        var y = RoundTrip(t, x);
        double se = 0, ss = 0;
        for (int i = 0; i < x.Length; i++) { se += (y[i] - x[i]) * (double)(y[i] - x[i]); ss += x[i] * (double)x[i]; }
        double rel = Math.Sqrt(se / ss);
        double limit = t switch
        {
            DType.Q2_K => 0.40,
            DType.Q3_K => 0.25,
            DType.Q4_1 or DType.Q4_K => 0.12,
            DType.Q5_0 or DType.Q5_1 or DType.Q5_K => 0.06,
            DType.Q6_K => 0.03,
            _ => 1,
        };
        Assert.True(rel < limit, $"{t}: relative RMS error {rel:F4} ≥ {limit}");
    }

    // Not the K-quants: their sub-block scales are rounded up, so re-fitting dequantized values can pick a
    // different (still bound-respecting) scale.
    [Theory]
    [InlineData(DType.Q4_1)]
    [InlineData(DType.Q5_0)]
    [InlineData(DType.Q5_1)]
    public void RequantizingDequantizedValuesIsExact(DType t)
    {
        var x = Inputs(32 * 64, 7);
        var once = RoundTrip(t, x);
        var twice = RoundTrip(t, once);
        Assert.Equal(once, twice);
    }

    [Theory]
    [MemberData(nameof(BlockTypes))]
    public void SizeNotAWholeNumberOfBlocksIsRejected(DType t)
    {
        var buf = new byte[4096];
        fixed (byte* p = buf)
        {
            var ptr = p;
            var e = Assert.ThrowsAny<Exception>(() => Quantize.Row(t, new float[DTypes.BlockSize(t) + 1], ptr));
            Assert.True(e is InvalidDataException or ArgumentException, e.GetType().Name);
            Assert.Contains(DTypes.BlockSize(t).ToString(), e.Message);
        }
    }
}
