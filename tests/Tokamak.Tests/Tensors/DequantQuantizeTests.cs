using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

[Collection(KernelIsaCollection.Name)]
public sealed unsafe class DequantQuantizeTests
{
    public static TheoryData<DType, Isa> Cases()
    {
        var data = new TheoryData<DType, Isa>();
        foreach (var t in new[] { DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0 })
            foreach (var isa in KernelIsaCollection.Paths) data.Add(t, isa);
        return data;
    }

    /// <summary>SIMD dequantization is bit-identical to the scalar reference, for ragged lengths.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RowMatchesScalarBitForBit(DType t, Isa isa)
    {
        foreach (int len in DTypes.BlockSize(t) == 1 ? new[] { 1, 7, 16, 33, 1000 } : new[] { 32, 96, 1056 })
        {
            using var w = KernelTestData.Weight(t, 1, len, seed: len);
            var expected = new float[len];
            var got = new float[len];
            Dequant.RowScalar(t, w.Tensor.Data, expected);
            using (KernelIsa.Force(isa)) Dequant.Row(t, w.Tensor.Data, got);
            Assert.Equal(expected, got);
        }
    }

    /// <summary>Every one of the 65536 half values converts like .NET's own Half → float (NaNs stay NaN).</summary>
    [Theory]
    [InlineData(Isa.Avx2)]
    [InlineData(Isa.Avx512)]
    public void F16ConversionIsExactForAllHalfValues(Isa isa)
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var got = new float[65536];
        fixed (ushort* p = bits)
            Dequant.Row(DType.F16, (byte*)p, got, isa);
        for (int i = 0; i < bits.Length; i++)
        {
            float want = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            if (float.IsNaN(want)) Assert.True(float.IsNaN(got[i]), $"half 0x{i:X4} should be NaN");
            else Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(got[i]), $"half 0x{i:X4}: got {got[i]}, want {want}");
        }
    }

    /// <summary>
    /// Quantize then dequantize: every element within d/2 of its input (Q4_0 elements clamped at 15: within d),
    /// where d is the stored F16 scale. When the exact scale (amax/127, or |m|/8) is below F16's normal range the
    /// stored d is coarse, and elements may move by a further (max |q|)·|d_exact − d|.
    /// </summary>
    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    public void QuantizedRoundTripErrorIsBoundedByHalfAStep(DType t)
    {
        var x = KernelTestData.Floats(42, 32 * 64);
        for (int blk = 0; blk < 64; blk++) // block magnitudes from 1e-4 to 1e3, and one all-zero block
            for (int j = 0; j < 32; j++) x[blk * 32 + j] *= blk == 5 ? 0 : MathF.Pow(10, blk % 8 - 4);
        int bb = DTypes.BlockBytes(t);
        var bytes = new byte[64 * bb];
        var back = new float[x.Length];
        fixed (byte* q = bytes)
        {
            Quantize.Row(t, x, q);
            Dequant.RowScalar(t, q, back);
            for (int blk = 0; blk < 64; blk++)
            {
                float d = Math.Abs((float)*(Half*)(q + blk * bb));
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(x[blk * 32 + j]));
                float exact = t == DType.Q8_0 ? amax / 127 : amax / 8;
                float slack = exact >= (float)Half.Epsilon * 1024 ? 0 : (t == DType.Q8_0 ? 127 : 8) * Math.Abs(exact - d);
                for (int j = 0; j < 32; j++)
                {
                    int i = blk * 32 + j;
                    bool clamped = t == DType.Q4_0 && ((q[blk * bb + 2 + j % 16] >> (j / 16 * 4)) & 0xF) == 15;
                    float bound = (clamped ? d : d / 2) * (1 + 1e-6f) + slack;
                    Assert.True(Math.Abs(x[i] - back[i]) <= bound, $"{t} element {i}: {x[i]} → {back[i]}, step {d}");
                }
            }
        }
        Assert.All(back.AsSpan(5 * 32, 32).ToArray(), v => Assert.Equal(0f, v));
    }

    /// <summary>Dequantized values quantize back to the very same bytes.</summary>
    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void RequantizingDequantizedValuesIsExact(DType t)
    {
        using var w = KernelTestData.Weight(t, 3, 320, seed: 8);
        var values = new float[3 * 320];
        for (int r = 0; r < 3; r++) Dequant.RowScalar(t, w.Tensor.Row(r), values.AsSpan(r * 320, 320));
        var again = new byte[w.Tensor.ByteLength];
        fixed (byte* p = again)
            for (int r = 0; r < 3; r++) Quantize.Row(t, values.AsSpan(r * 320, 320), p + r * w.Tensor.RowBytes);
        Assert.Equal(new ReadOnlySpan<byte>(w.Tensor.Data, (int)w.Tensor.ByteLength).ToArray(), again);
    }

    /// <summary>F16/BF16 conversion: relative error within half an ulp of the format (2^-11, 2^-8).</summary>
    [Theory]
    [InlineData(DType.F16, 1.0 / 2048)]
    [InlineData(DType.BF16, 1.0 / 256)]
    public void FloatConversionRoundsToNearest(DType t, double relTol)
    {
        var x = KernelTestData.Floats(3, 999, scale: 100f);
        var bytes = new byte[999 * 2];
        var back = new float[999];
        fixed (byte* p = bytes)
        {
            Quantize.Row(t, x, p);
            Dequant.RowScalar(t, p, back);
        }
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(x[i] - back[i]) <= Math.Abs(x[i]) * relTol * 1.0001 + 1e-6, $"{t} {x[i]} → {back[i]}");
    }

    [Fact]
    public void PartialBlocksAreRejected()
    {
        var bytes = new byte[64];
        fixed (byte* p = bytes)
        {
            var ptr = p;
            Assert.Throws<InvalidDataException>(() => Quantize.Row(DType.Q8_0, new float[33], ptr));
        }
    }
}
