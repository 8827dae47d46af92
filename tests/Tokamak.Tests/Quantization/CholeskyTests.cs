using Tokamak.Quantization.Gptq;

namespace Tokamak.Tests.Quantization;

/// <summary>Cholesky factor, inverse and upper factor of the inverse against naive Gauss–Jordan elimination.</summary>
public class CholeskyTests
{
    private static double[] RandomSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() * 2 - 1;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? 0.5 : 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s;
            }
        return a;
    }

    private static double[] GaussJordanInverse(double[] a, int n)
    {
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i, j] = a[i * n + j];
            m[i, n + i] = 1;
        }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double d = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j];
            }
        }
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i * n + j] = m[i, n + j];
        return inv;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 2)]
    [InlineData(17, 3)]
    public void FactorsAndInversesAgreeWithGaussJordan(int n, int seed)
    {
        var a = RandomSpd(n, seed);
        var l = Cholesky.Lower(a, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k];
                Assert.Equal(a[i * n + j], s, 9);
                if (j > i) Assert.Equal(0, l[i * n + j]);
            }
        var expected = GaussJordanInverse(a, n);
        var inv = Cholesky.Inverse(a, n);
        for (int i = 0; i < n * n; i++) Assert.Equal(expected[i], inv[i], 8);
        var u = Cholesky.UpperOfInverse(a, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += u[k * n + i] * u[k * n + j]; // (UᵀU)[i, j]
                Assert.Equal(expected[i * n + j], s, 8);
                if (i > j) Assert.Equal(0, u[i * n + j]);
            }
    }

    [Fact]
    public void NotPositiveDefiniteNamesTheMatrix()
    {
        var e = Assert.Throws<InvalidDataException>(() => Cholesky.Lower([1, 2, 2, 1], 2, "blk.0.attn_q's Hessian"));
        Assert.Contains("blk.0.attn_q's Hessian", e.Message);
    }
}
