using Tokamak.Tensors.Kernels;
using Tokamak.Training;
using Tokamak.Training.Kernels;

namespace Tokamak.Tests.Training;

public class TrainGemmTests
{
    private static float[] Random(int n, ulong seed, float scale = 1f)
    {
        var r = new TrainRng(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextGaussian() * scale);
        return x;
    }

    // Ragged in every dimension: not multiples of 6 rows, 16/32 columns, or the 256-deep reduction slice.
    public static TheoryData<int, int, int, bool, bool, bool, bool> Shapes()
    {
        var d = new TheoryData<int, int, int, bool, bool, bool, bool>();
        (int, int, int)[] dims = [(1, 1, 1), (7, 33, 5), (13, 70, 300), (200, 37, 515), (64, 261, 64), (389, 520, 41)];
        foreach (var (m, n, k) in dims)
            foreach (var (ta, tb) in new[] { (false, true), (false, false), (true, false), (true, true) })
            {
                d.Add(m, n, k, ta, tb, false, false);
                d.Add(m, n, k, ta, tb, true, true);
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void KernelMatchesScalarReference(int m, int n, int k, bool transA, bool transB, bool accumulate, bool forceAvx2)
    {
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        var c0 = Random(m * n, 3);
        var want = (float[])c0.Clone();
        var got = (float[])c0.Clone();
        TrainGemmReference.Multiply(a, transA, b, transB, want, m, n, k, accumulate);
        using (forceAvx2 ? KernelIsa.Force(Isa.Avx2) : null)
            TrainGemm.Multiply(a, transA, b, transB, got, m, n, k, accumulate);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * (1 + MathF.Sqrt(k)), $"[{i / n}, {i % n}] {got[i]} vs {want[i]}");
    }

    [Theory]
    [InlineData(MatMulPrecision.BF16)]
    [InlineData(MatMulPrecision.F16)]
    public void ReducedPrecisionRoundsOperandsLikeTheReference(MatMulPrecision precision)
    {
        const int m = 29, n = 45, k = 270;
        var a = Random(m * k, 4);
        var b = Random(n * k, 5);
        var want = new float[m * n];
        var got = new float[m * n];
        var f32 = new float[m * n];
        TrainGemmReference.Multiply(a, false, b, true, want, m, n, k, false, precision);
        TrainGemm.MatMulTransB(a, b, got, m, n, k, false, precision);
        TrainGemm.MatMulTransB(a, b, f32, m, n, k, false);
        double maxDiffFromF32 = 0;
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * MathF.Sqrt(k), $"{i}: {got[i]} vs {want[i]}");
            maxDiffFromF32 = Math.Max(maxDiffFromF32, Math.Abs(got[i] - f32[i]));
        }
        // Rounding must actually happen: BF16 keeps 8 mantissa bits, F16 11, so products drift from FP32.
        Assert.True(maxDiffFromF32 > 1e-4, $"reduced precision result equals FP32 (max diff {maxDiffFromF32})");
    }

    [Fact]
    public void RoundingFollowsTheFormats()
    {
        Assert.Equal(1f, TrainGemmReference.Round(1.00390625f, MatMulPrecision.BF16)); // tie → even
        Assert.Equal(1.015625f, TrainGemmReference.Round(1.01171875f, MatMulPrecision.BF16)); // 1 + 1.5 ulp: tie → even (up)
        Assert.Equal(float.PositiveInfinity, TrainGemmReference.Round(70000f, MatMulPrecision.F16));
        Assert.Equal(70144f, TrainGemmReference.Round(70000f, MatMulPrecision.BF16));
        Assert.True(float.IsNaN(TrainGemmReference.Round(float.NaN, MatMulPrecision.BF16)));
    }

    [Fact]
    public void ZeroDepthClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        TrainGemm.MatMul([], [], c, 2, 2, 0, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        TrainGemm.MatMul([], [], c, 2, 2, 0, accumulate: false);
        Assert.Equal([0f, 0, 0, 0], c);
        Assert.Throws<ArgumentException>(() => TrainGemm.MatMul(new float[3], new float[4], c, 2, 2, 2, false));
    }
}
