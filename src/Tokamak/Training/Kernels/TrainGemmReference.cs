namespace Tokamak.Training.Kernels;

/// <summary>
/// Scalar reference for <see cref="TrainGemm"/>: every dot product accumulated in double over operands rounded to
/// the same precision. Tests compare the optimized kernels against it on ragged shapes.
/// </summary>
public static class TrainGemmReference
{
    /// <summary>Same contract as <see cref="TrainGemm.Multiply"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB, Span<float> c,
        int m, int n, int k, bool accumulate, MatMulPrecision precision = MatMulPrecision.F32)
    {
        Check(a, b, c, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    float x = transA ? a[p * m + i] : a[i * k + p];
                    float y = transB ? b[j * k + p] : b[p * n + j];
                    s += (double)Round(x, precision) * Round(y, precision);
                }
                c[i * n + j] = accumulate ? (float)(c[i * n + j] + s) : (float)s;
            }
    }

    /// <summary>One element rounded to <paramref name="precision"/> and back to float.</summary>
    public static float Round(float x, MatMulPrecision precision) => precision switch
    {
        MatMulPrecision.BF16 => Bf16Rounding.Round(x),
        MatMulPrecision.F16 => F16Rounding.Round(x),
        _ => x,
    };

    internal static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"matmul dims must be non-negative, got m={m} n={n} k={k}");
        if (a.Length < (long)m * k) throw new ArgumentException($"matmul: A holds {a.Length} floats, need {m}×{k}");
        if (b.Length < (long)n * k) throw new ArgumentException($"matmul: B holds {b.Length} floats, need {k}×{n}");
        if (c.Length < (long)m * n) throw new ArgumentException($"matmul: C holds {c.Length} floats, need {m}×{n}");
    }
}
