using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors.Quant;

/// <summary>MatMul over the GGUF block types equals the scalar reference (dequantize, dot in double) on every path.</summary>
[Collection(KernelIsaCollection.Name)]
public sealed class DequantMatMulTests
{
    public static TheoryData<DType, Isa> Cases()
    {
        var data = new TheoryData<DType, Isa>();
        foreach (var t in new[] { DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K })
            foreach (var isa in KernelIsaCollection.Paths) data.Add(t, isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesScalarReference(DType t, Isa isa)
    {
        foreach (var (rows, cols, n) in new[] { (13, 512, 1), (7, 768, 3), (1, 256, 2) })
        {
            using var w = KernelTestData.Weight(t, rows, cols, seed: rows * cols);
            var x = KernelTestData.Floats(n, n * cols);
            var want = new float[n * rows];
            var got = new float[n * rows];
            MatMul.ForwardScalar(w.Tensor, x, want, n);
            using (KernelIsa.Force(isa)) MatMul.Forward(w.Tensor, x, got, n);
            for (int b = 0; b < n; b++)
                for (int o = 0; o < rows; o++)
                {
                    var wr = KernelTestData.DequantRow(w.Tensor, o);
                    double mag = 0;
                    for (int i = 0; i < cols; i++) mag += Math.Abs(wr[i] * x[b * cols + i]);
                    Assert.True(Math.Abs(got[b * rows + o] - want[b * rows + o]) <= 1e-5 * mag + 1e-6,
                        $"{t} {isa} [{rows}x{cols}] n={n} row {o}: {got[b * rows + o]} vs {want[b * rows + o]}");
                }
        }
    }
}

/// <summary>The SIMD row decoders give the scalar decoders' bits exactly.</summary>
[Collection(KernelIsaCollection.Name)]
public sealed unsafe class BlockDecodeSimdTests
{
    [Theory]
    [MemberData(nameof(DequantMatMulTests.Cases), MemberType = typeof(DequantMatMulTests))]
    public void RowEqualsScalarBitForBit(DType t, Isa isa)
    {
        using var w = KernelTestData.Weight(t, 3, 1024, seed: 11);
        for (int r = 0; r < 3; r++)
        {
            var want = KernelTestData.DequantRow(w.Tensor, r);
            var got = new float[1024];
            using (KernelIsa.Force(isa)) Dequant.Row(t, w.Tensor.Row(r), got);
            Assert.Equal(want, got);
        }
    }
}
