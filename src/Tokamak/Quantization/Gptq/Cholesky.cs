namespace Tokamak.Quantization.Gptq;

/// <summary>Dense symmetric positive-definite algebra on row-major <c>[n, n]</c> doubles, as GPTQ needs it.</summary>
public static class Cholesky
{
    /// <summary>
    /// Lower-triangular L with A = L·Lᵀ (upper triangle zeroed). Throws <see cref="InvalidDataException"/> naming
    /// <paramref name="what"/> when A is not positive definite.
    /// </summary>
    public static double[] Lower(ReadOnlySpan<double> a, int n, string what = "matrix")
    {
        var l = new double[(long)n * n];
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0)) throw new InvalidDataException($"{what} is not positive definite (pivot {j} is {d:G3}); raise the dampening");
            double djj = Math.Sqrt(d);
            l[j * n + j] = djj;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / djj;
            }
        }
        return l;
    }

    /// <summary>A⁻¹ from A's Cholesky factor: (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹.</summary>
    public static double[] Inverse(ReadOnlySpan<double> a, int n, string what = "matrix")
    {
        var l = Lower(a, n, what);
        // Linv: lower-triangular inverse by forward substitution, column by column.
        var li = new double[(long)n * n];
        for (int c = 0; c < n; c++)
        {
            li[c * n + c] = 1 / l[c * n + c];
            for (int i = c + 1; i < n; i++)
            {
                double s = 0;
                for (int k = c; k < i; k++) s += l[i * n + k] * li[k * n + c];
                li[i * n + c] = -s / l[i * n + i];
            }
        }
        var inv = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int k = i; k < n; k++) s += li[k * n + i] * li[k * n + j]; // (Linvᵀ Linv)[i, j]
                inv[i * n + j] = inv[j * n + i] = s;
            }
        return inv;
    }

    /// <summary>Upper-triangular U with A⁻¹ = Uᵀ·U: the factor GPTQ's column updates read row by row.</summary>
    public static double[] UpperOfInverse(ReadOnlySpan<double> a, int n, string what = "matrix")
    {
        var l = Lower(Inverse(a, n, what), n, what);
        var u = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) u[j * n + i] = l[i * n + j];
        return u;
    }
}
