using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

[Collection(KernelIsaCollection.Name)]
public sealed class ElementwiseKernelTests
{
    public static TheoryData<Isa> Paths()
    {
        var data = new TheoryData<Isa>();
        foreach (var isa in KernelIsaCollection.Paths) data.Add(isa);
        return data;
    }

    private static readonly int[] Lengths = [1, 5, 8, 17, 31, 64, 896, 1001];

    [Theory]
    [MemberData(nameof(Paths))]
    public void SwiGluMatchesScalar(Isa isa)
    {
        foreach (int n in Lengths)
        {
            var gate = KernelTestData.Floats(n, n, scale: 12f);
            gate[0] = -100f; // e^100 overflows to ∞: the result must be −0, not NaN
            var up = KernelTestData.Floats(n + 1, n, scale: 3f);
            var expected = (float[])gate.Clone();
            Activations.SwiGluScalar(expected, up);
            using (KernelIsa.Force(isa)) Activations.SwiGlu(gate, up);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(gate[i] - expected[i]) <= 2e-6f * (1 + Math.Abs(expected[i])), $"n={n} i={i}: {gate[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void RmsNormMatchesScalarInPlaceAndOutOfPlace(Isa isa)
    {
        foreach (int dim in Lengths)
        {
            var x = KernelTestData.Floats(dim, 3 * dim, scale: 5f);
            var weight = KernelTestData.Floats(dim + 7, dim);
            var expected = new float[3 * dim];
            RmsNorm.ForwardScalar(x, weight, expected, 1e-6f);
            var y = new float[3 * dim];
            var inPlace = (float[])x.Clone();
            using (KernelIsa.Force(isa))
            {
                RmsNorm.Forward(x, weight, y, 1e-6f);
                RmsNorm.Forward(inPlace, weight, inPlace, 1e-6f);
            }
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"dim={dim} i={i}");
                Assert.Equal(y[i], inPlace[i]);
            }
        }
    }

    [Fact]
    public void RmsNormRejectsPartialRows() =>
        Assert.Throws<ArgumentException>(() => RmsNorm.Forward(new float[10], new float[4], new float[10], 1e-6f));

    [Fact]
    public void SoftmaxAndAddMatchScalar()
    {
        foreach (int n in Lengths)
        {
            var x = KernelTestData.Floats(n, n, scale: 30f);
            var expected = (float[])x.Clone();
            Softmax.ForwardScalar(expected);
            Softmax.Forward(x);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(x[i] - expected[i]) <= 1e-6f + 1e-5f * expected[i], $"n={n} i={i}");

            var y = KernelTestData.Floats(n + 3, n);
            var d = KernelTestData.Floats(n + 4, n);
            var sum = new float[n];
            for (int i = 0; i < n; i++) sum[i] = y[i] + d[i];
            Activations.Add(y, d);
            Assert.Equal(sum, y);
        }
    }
}
