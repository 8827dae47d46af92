using System.Buffers;

namespace Tokamak.Training.Layers;

/// <summary>
/// The one dense float kernel training needs: <c>C[m, n] (+)= Σ_k A[m, k] · B[n, k]</c> (A · Bᵀ, both operands
/// row-major with the reduction dimension contiguous). Forward, input-gradient and weight-gradient products of a
/// linear layer are all this shape once the right operand is transposed.
/// </summary>
public static unsafe class Gemm
{

    /// <summary>
    /// <c>c [m, n] (+)= a [m, k] · b [n, k]ᵀ</c>, multithreaded and vectorized (<see cref="Kernels.TrainGemm"/>).
    /// </summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate) =>
        Kernels.TrainGemm.MatMulTransB(a, b, c, m, n, k, accumulate);

    /// <summary>Scalar reference for <see cref="MatMulTransB"/>, accumulating each dot product in double.</summary>
    public static void MatMulTransBScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Check(a, b, c, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[j * k + p];
                c[i * n + j] = accumulate ? (float)(c[i * n + j] + s) : (float)s;
            }
    }

    /// <summary><c>dst [cols, rows] = src [rows, cols]ᵀ</c>.</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        if (src.Length < (long)rows * cols || dst.Length < (long)rows * cols)
            throw new ArgumentException($"transpose of [{rows}, {cols}] needs {rows * cols} floats, got src {src.Length}, dst {dst.Length}");
        const int B = 32; // block so both sides stay in cache lines
        for (int r0 = 0; r0 < rows; r0 += B)
            for (int c0 = 0; c0 < cols; c0 += B)
            {
                int r1 = Math.Min(rows, r0 + B), c1 = Math.Min(cols, c0 + B);
                for (int r = r0; r < r1; r++)
                    for (int cc = c0; cc < c1; cc++)
                        dst[cc * rows + r] = src[r * cols + cc];
            }
    }

    /// <summary>Rents a pooled scratch array of at least <paramref name="length"/> floats (return it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    internal static float[] Rent(long length) => ArrayPool<float>.Shared.Rent(checked((int)length));

    internal static void Return(float[] array) => ArrayPool<float>.Shared.Return(array);

    private static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"matmul dims must be non-negative, got m={m} n={n} k={k}");
        if (a.Length < (long)m * k) throw new ArgumentException($"matmul: A holds {a.Length} floats, need {m}×{k}");
        if (b.Length < (long)n * k) throw new ArgumentException($"matmul: B holds {b.Length} floats, need {n}×{k}");
        if (c.Length < (long)m * n) throw new ArgumentException($"matmul: C holds {c.Length} floats, need {m}×{n}");
    }
}
