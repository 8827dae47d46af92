using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// The one dense float kernel training needs: <c>C[m, n] (+)= Σ_k A[m, k] · B[n, k]</c> (A · Bᵀ, both operands
/// row-major with the reduction dimension contiguous). Forward, input-gradient and weight-gradient products of a
/// linear layer are all this shape once the right operand is transposed.
/// </summary>
public static unsafe class Gemm
{
    private const int RowBlock = 4;   // rows of A sharing one pass over a row of B
    private const int TileRows = 64;  // rows of A per work item
    private const int TileCols = 64;  // rows of B per work item (kept hot in cache while a tile of A streams)

    /// <summary>
    /// <c>c [m, n] (+)= a [m, k] · b [n, k]ᵀ</c>, multithreaded and vectorized. Each output element is computed by one
    /// thread in a fixed order, so results are bitwise reproducible for a given machine and thread count.
    /// </summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Check(a, b, c, m, n, k);
        if (m == 0 || n == 0) return;
        int mTiles = (m + TileRows - 1) / TileRows, nTiles = (n + TileCols - 1) / TileCols;
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* ap = pa, bp = pb, cp = pc;
            ComputePool.Shared.For(mTiles * nTiles, 1, (start, end) =>
            {
                for (int tile = start; tile < end; tile++)
                {
                    int m0 = tile / nTiles * TileRows, n0 = tile % nTiles * TileCols;
                    Tile(ap, bp, cp, m0, Math.Min(m, m0 + TileRows), n0, Math.Min(n, n0 + TileCols), n, k, accumulate);
                }
            });
        }
    }

    private static void Tile(float* a, float* b, float* c, int m0, int m1, int n0, int n1, int n, int k, bool accumulate)
    {
        int i = m0;
        for (; i + RowBlock <= m1; i += RowBlock)
        {
            float* a0 = a + (long)i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            for (int j = n0; j < n1; j++)
            {
                float* bj = b + (long)j * k;
                Dot4(a0, a1, a2, a3, bj, k, out float s0, out float s1, out float s2, out float s3);
                float* cj = c + (long)i * n + j;
                if (accumulate) { cj[0] += s0; cj[n] += s1; cj[2 * n] += s2; cj[3 * n] += s3; }
                else { cj[0] = s0; cj[n] = s1; cj[2 * n] = s2; cj[3 * n] = s3; }
            }
        }
        for (; i < m1; i++)
        {
            var ai = new ReadOnlySpan<float>(a + (long)i * k, k);
            for (int j = n0; j < n1; j++)
            {
                float s = TensorPrimitives.Dot(ai, new ReadOnlySpan<float>(b + (long)j * k, k));
                float* cij = c + (long)i * n + j;
                *cij = accumulate ? *cij + s : s;
            }
        }
    }

    private static void Dot4(float* a0, float* a1, float* a2, float* a3, float* b, int k,
        out float s0, out float s1, out float s2, out float s3)
    {
        int w = Vector<float>.Count, p = 0;
        Vector<float> v0 = default, v1 = default, v2 = default, v3 = default;
        for (; p + w <= k; p += w)
        {
            var bv = Vector.Load(b + p);
            v0 = Vector.FusedMultiplyAdd(Vector.Load(a0 + p), bv, v0);
            v1 = Vector.FusedMultiplyAdd(Vector.Load(a1 + p), bv, v1);
            v2 = Vector.FusedMultiplyAdd(Vector.Load(a2 + p), bv, v2);
            v3 = Vector.FusedMultiplyAdd(Vector.Load(a3 + p), bv, v3);
        }
        s0 = Vector.Sum(v0); s1 = Vector.Sum(v1); s2 = Vector.Sum(v2); s3 = Vector.Sum(v3);
        for (; p < k; p++)
        {
            float bv = b[p];
            s0 += a0[p] * bv; s1 += a1[p] * bv; s2 += a2[p] * bv; s3 += a3[p] * bv;
        }
    }

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
