using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

[Collection(KernelIsaCollection.Name)]
public sealed unsafe class MatMulTests
{
    // Shapes (out, in): odd sizes, in not a multiple of 8/16 for plain floats, several chunks of rows that are not a
    // multiple of the 2/4-row tiles (out 333 over 3 threads → chunks of 55–56 rows); in 8224 = 257 blocks crosses
    // the integer kernel's 256-block scale segment.
    private static readonly (int Out, int In)[] FloatShapes = [(333, 1056), (37, 203), (130, 77), (9, 16)];
    private static readonly (int Out, int In)[] BlockShapes = [(333, 1056), (19, 96), (5, 32), (6, 8224)];
    // K-quant super-blocks of 256: rows not a multiple of the 4-row decode pass, one to nine super-blocks per row.
    private static readonly (int Out, int In)[] SuperBlockShapes = [(333, 768), (7, 256), (6, 2304)];

    public static TheoryData<DType, Isa, int> Cases()
    {
        var data = new TheoryData<DType, Isa, int>();
        foreach (var t in new[] { DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0 })
            foreach (var isa in KernelIsaCollection.Paths)
                for (int n = 1; n <= 7; n++) data.Add(t, isa, n);
        // Block types with a fused decode kernel (n = 1) and the dequantizing path beside it (n = 3).
        foreach (var t in new[] { DType.Q5_0, DType.Q4_K, DType.Q6_K })
            foreach (var isa in KernelIsaCollection.Paths)
                foreach (int n in new[] { 1, 3 }) data.Add(t, isa, n);
        return data;
    }

    /// <summary>
    /// Against the double-precision dequantize-then-dot reference. The error is measured relative to Σ|w·x| of each
    /// output (the scale at which F32 rounding acts): 3e-5 for F32 accumulation of exact weight values.
    /// Quantized decode additionally rounds x to 8 bits per block of 32: each x_j moves by at most amax_b/254, so
    /// the output may move by Σ_b amax_b/254 · Σ_{j∈b} |w_j|, which the test computes and allows.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesScalarReference(DType t, Isa isa, int n)
    {
        var shapes = DTypes.BlockSize(t) switch { 1 => FloatShapes, 32 => BlockShapes, _ => SuperBlockShapes };
        using var pool = new ComputePool(3);
        foreach (var (outDim, inDim) in shapes)
        {
            using var w = KernelTestData.Weight(t, outDim, inDim, seed: outDim * 31 + inDim);
            var x = KernelTestData.Floats(n * 7 + inDim, n * inDim, scale: 2f);
            foreach (bool quantizedDecode in new[] { true, false })
            {
                if (!quantizedDecode && (n > 1 || t is not (DType.Q8_0 or DType.Q4_0))) continue;
                var y = Run(w.Tensor, x, n, isa, pool, quantizedDecode);
                var expected = new float[n * outDim];
                MatMul.ForwardScalar(w.Tensor, x, expected, n);
                bool xQuantized = quantizedDecode && n == 1 && t is (DType.Q8_0 or DType.Q4_0);
                for (int o = 0; o < outDim; o++)
                {
                    var wr = KernelTestData.DequantRow(w.Tensor, o);
                    for (int b = 0; b < n; b++)
                    {
                        var xb = x.AsSpan(b * inDim, inDim);
                        double mag = 0, xBound = 0;
                        for (int i = 0; i < inDim; i++) mag += Math.Abs((double)wr[i] * xb[i]);
                        if (xQuantized)
                            for (int blk = 0; blk < inDim / 32; blk++)
                            {
                                double amax = 0, wsum = 0;
                                for (int j = blk * 32; j < blk * 32 + 32; j++)
                                {
                                    amax = Math.Max(amax, Math.Abs(xb[j]));
                                    wsum += Math.Abs(wr[j]);
                                }
                                xBound += amax / 254 * wsum;
                            }
                        double err = Math.Abs(y[b * outDim + o] - expected[b * outDim + o]);
                        double tol = 3e-5 * mag + 1.0001 * xBound + 1e-6;
                        Assert.True(err <= tol,
                            $"{t} {isa} n={n} [{outDim},{inDim}] qdec={quantizedDecode} y[{b},{o}]: got {y[b * outDim + o]}, want {expected[b * outDim + o]} (err {err:g3} > tol {tol:g3})");
                    }
                }
            }
        }
    }

    public static TheoryData<DType, Isa> TypesAndPaths()
    {
        var data = new TheoryData<DType, Isa>();
        foreach (var t in new[] { DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0 })
            foreach (var isa in KernelIsaCollection.Paths) data.Add(t, isa);
        return data;
    }

    /// <summary>
    /// One thread, so a single chunk of 101 rows spans three prefill row blocks (48 + 48 + 5, the last group of 6
    /// ragged) and in = 8224 spans 33 reduction slices of 256 with a partial last one (32); n = 35 leaves a partial
    /// token panel on both the 32-token (AVX-512) and 16-token (AVX2) tiles.
    /// </summary>
    [Theory]
    [MemberData(nameof(TypesAndPaths))]
    public void PrefillAcrossSeveralWeightPanels(DType t, Isa isa)
    {
        const int outDim = 101, inDim = 8224, n = 35;
        using var pool = new ComputePool(1);
        using var w = KernelTestData.Weight(t, outDim, inDim, seed: 77);
        var x = KernelTestData.Floats(78, n * inDim);
        var y = Run(w.Tensor, x, n, isa, pool, quantizedDecode: null);
        var expected = new float[n * outDim];
        MatMul.ForwardScalar(w.Tensor, x, expected, n);
        for (int o = 0; o < outDim; o++)
        {
            var wr = KernelTestData.DequantRow(w.Tensor, o);
            for (int b = 0; b < n; b++)
            {
                double mag = 0;
                for (int i = 0; i < inDim; i++) mag += Math.Abs((double)wr[i] * x[b * inDim + i]);
                double err = Math.Abs(y[b * outDim + o] - expected[b * outDim + o]);
                Assert.True(err <= 3e-5 * mag, $"{t} {isa} y[{b},{o}]: got {y[b * outDim + o]}, want {expected[b * outDim + o]}");
            }
        }
    }

    /// <summary>The SIMD integer decode paths compute the same integer block sums as the scalar one: only the
    /// F32 summation order of the per-block terms differs.</summary>
    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    public void QuantizedDecodeMatchesItsScalarPath(DType t)
    {
        using var pool = new ComputePool(2);
        using var w = KernelTestData.Weight(t, 67, 544, seed: 5);
        var x = KernelTestData.Floats(6, 544, scale: 3f);
        var scalar = Run(w.Tensor, x, 1, Isa.Scalar, pool, quantizedDecode: true);
        foreach (var isa in KernelIsaCollection.Paths)
        {
            var y = Run(w.Tensor, x, 1, isa, pool, quantizedDecode: true);
            for (int o = 0; o < 67; o++)
            {
                var wr = KernelTestData.DequantRow(w.Tensor, o);
                double mag = 0;
                for (int i = 0; i < 544; i++) mag += Math.Abs((double)wr[i] * x[i]);
                Assert.True(Math.Abs(y[o] - scalar[o]) <= 1e-5 * mag, $"{t} {isa} y[{o}] = {y[o]}, scalar path {scalar[o]}");
            }
        }
    }

    [Fact]
    public void PublicForwardUsesSharedPoolAndMatchesReference()
    {
        using var w = KernelTestData.Weight(DType.F16, 300, 200, seed: 9);
        var x = KernelTestData.Floats(10, 3 * 200);
        var y = new float[3 * 300];
        var expected = new float[3 * 300];
        MatMul.Forward(w.Tensor, x, y, 3);
        MatMul.ForwardScalar(w.Tensor, x, expected, 3);
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-3f);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.Q5_0)]
    [InlineData(DType.Q4_K)]
    [InlineData(DType.Q6_K)]
    public void DecodeDoesNotAllocate(DType t)
    {
        using var w = KernelTestData.Weight(t, 512, 1024, seed: 3);
        var x = KernelTestData.Floats(4, 1024);
        var y = new float[512];
        MatMul.Forward(w.Tensor, x, y, 1); // warm-up: JIT, thread-local scratch
        MatMul.Forward(w.Tensor, x, y, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) MatMul.Forward(w.Tensor, x, y, 1);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var w = KernelTestData.Weight(DType.F32, 4, 8, seed: 1);
        Assert.Throws<ArgumentException>(() => MatMul.Forward(w.Tensor, new float[7], new float[4], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Forward(w.Tensor, new float[16], new float[7], 2));
    }

    private static float[] Run(Tensor w, float[] x, int n, Isa isa, ComputePool pool, bool? quantizedDecode)
    {
        var y = new float[n * w.Rows];
        bool? saved = MatMul.QuantizedDecode;
        MatMul.QuantizedDecode = quantizedDecode;
        try
        {
            fixed (float* px = x, py = y) MatMul.Forward(w, px, py, n, isa, pool);
        }
        finally
        {
            MatMul.QuantizedDecode = saved;
        }
        return y;
    }
}
