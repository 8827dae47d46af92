using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Quantization.SmoothQuant;

/// <summary>
/// Integer GEMM for W8A8: <c>C[m, n] = Σ_k A[m, k] · B[n, k]</c> with int8 inputs and int32 accumulation (both
/// operands row-major with k contiguous, i.e. B is the weight <c>[out, in]</c>). Int32 is exact for
/// k &lt; 2³¹ / 127² ≈ 133k, far beyond any hidden size. The fast path widens 32 (AVX-512BW) or 16 (AVX2) int8 lanes
/// to int16 and uses <c>vpmaddwd</c> (<c>MultiplyAddAdjacent</c>), which adds adjacent int16 products into int32 —
/// .NET 10 exposes no AVX512-VNNI <c>vpdpbusd</c> here, and vpmaddubsw's saturating int16 sums would not be exact.
/// </summary>
public static unsafe class Int8Gemm
{
    // Below this many multiply-adds the fork/join costs more than it saves.
    private const long ParallelThreshold = 1 << 16;

    /// <summary>Reference: the triple loop in int32.</summary>
    public static void Scalar(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k)
    {
        Check(a, b, c, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int s = 0;
                for (int t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
                c[i * n + j] = s;
            }
    }

    /// <summary>Same result as <see cref="Scalar"/>, vectorized and parallel over output columns.</summary>
    public static void Forward(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k)
    {
        Check(a, b, c, m, n, k);
        fixed (sbyte* pa = a, pb = b)
        fixed (int* pc = c)
        {
            sbyte* aa = pa, bb = pb;
            int* cc = pc;
            void Columns(int j0, int j1)
            {
                for (int j = j0; j < j1; j++)
                    for (int i = 0; i < m; i++) cc[(long)i * n + j] = Dot(aa + (long)i * k, bb + (long)j * k, k);
            }
            if ((long)m * n * k < ParallelThreshold || ComputePool.Shared.Threads == 1) Columns(0, n);
            else ComputePool.Shared.For(n, Math.Max(1, n / (4 * ComputePool.Shared.Threads)), Columns);
        }
    }

    /// <summary>Σ a[t]·b[t] over <paramref name="k"/> int8 pairs, in int32.</summary>
    public static int Dot(sbyte* a, sbyte* b, int k)
    {
        int t = 0, sum = 0;
        if (Avx512BW.IsSupported && k >= 32)
        {
            var acc = Vector512<int>.Zero;
            for (; t + 32 <= k; t += 32)
            {
                var va = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + t));
                var vb = Avx512BW.ConvertToVector512Int16(Vector256.Load(b + t));
                acc += Avx512BW.MultiplyAddAdjacent(va, vb);
            }
            sum += Vector512.Sum(acc);
        }
        if (Avx2.IsSupported && k - t >= 16)
        {
            var acc = Vector256<int>.Zero;
            for (; t + 16 <= k; t += 16)
            {
                var va = Avx2.ConvertToVector256Int16(Vector128.Load(a + t));
                var vb = Avx2.ConvertToVector256Int16(Vector128.Load(b + t));
                acc += Avx2.MultiplyAddAdjacent(va, vb);
            }
            sum += Vector256.Sum(acc);
        }
        for (; t < k; t++) sum += a[t] * b[t];
        return sum;
    }

    private static void Check(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM shape [{m}, {k}] × [{n}, {k}]");
        if (a.Length < (long)m * k || b.Length < (long)n * k || c.Length < (long)m * n)
            throw new ArgumentException($"int8 GEMM [{m}, {k}] × [{n}, {k}]ᵀ got {a.Length}, {b.Length} inputs and {c.Length} outputs");
    }
}
