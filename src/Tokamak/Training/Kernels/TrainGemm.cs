using System.Runtime.CompilerServices;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Kernels;

/// <summary>
/// The dense products of training, <c>C [m, n] (+)= op(A) [m, k] · op(B) [k, n]</c>, for the three shapes a linear
/// layer needs — forward <c>X·Wᵀ</c> (<see cref="MatMulTransB"/>), input gradient <c>dY·W</c> (<see cref="MatMul"/>)
/// and weight gradient <c>dYᵀ·X</c> (<see cref="MatMulTransA"/>) — without transposing any operand.
/// </summary>
/// <remarks>
/// GotoBLAS structure: C is cut into tiles of <c>mc × nc</c> spread over <see cref="ComputePool.Shared"/>; per tile
/// and per <c>kc</c> slice of the reduction, a block of A (<c>mc × kc</c>, ~L2) and of B (<c>kc × nc</c>) are packed
/// into per-thread aligned panels (rounded to the requested <see cref="MatMulPrecision"/>), and a 6 × 2-vector
/// register-blocked FMA micro-kernel sweeps them with a B panel (<c>kc × Nr</c>) held in L1. Each C element is
/// owned by one tile and summed in a fixed order, so results are reproducible for a given machine and tile plan.
/// <see cref="TrainGemmReference"/> is the scalar reference.
/// </remarks>
public static unsafe class TrainGemm
{
    private const int KC = 256, MC = 192, NC = 256;

    /// <summary><c>c [m, n] (+)= a [m, k] · b [n, k]ᵀ</c> (forward of a linear layer: activations × weightᵀ).</summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        MatMulPrecision precision = MatMulPrecision.F32) => Multiply(a, false, b, true, c, m, n, k, accumulate, precision);

    /// <summary><c>c [m, n] (+)= a [m, k] · b [k, n]</c> (input gradient: dY × weight).</summary>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        MatMulPrecision precision = MatMulPrecision.F32) => Multiply(a, false, b, false, c, m, n, k, accumulate, precision);

    /// <summary><c>c [m, n] (+)= a [k, m]ᵀ · b [k, n]</c> (weight gradient: dYᵀ × X, summed over tokens k).</summary>
    public static void MatMulTransA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate,
        MatMulPrecision precision = MatMulPrecision.F32) => Multiply(a, true, b, false, c, m, n, k, accumulate, precision);

    /// <summary>
    /// <c>c [m, n] (+)= op(a) · op(b)</c> where <c>op(a)</c> is <c>a [m, k]</c>, or <c>a [k, m]ᵀ</c> when
    /// <paramref name="transA"/>, and <c>op(b)</c> is <c>b [k, n]</c>, or <c>b [n, k]ᵀ</c> when <paramref name="transB"/>.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB, Span<float> c,
        int m, int n, int k, bool accumulate, MatMulPrecision precision = MatMulPrecision.F32)
    {
        TrainGemmReference.Check(a, b, c, m, n, k);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        var isa = KernelIsa.Active;
        if (isa == Isa.Scalar)
        {
            TrainGemmReference.Multiply(a, transA, b, transB, c, m, n, k, accumulate, precision);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
            Strided(pa, transA ? m : k, transA, pb, transB ? k : n, transB, pc, n, m, n, k, accumulate, precision);
    }

    /// <summary>
    /// Pointer form with explicit row strides (<paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>
    /// in floats), for sub-blocks such as one attention head's columns. No bounds checks: the caller owns the shapes.
    /// Called from inside a pool job it runs on the calling thread.
    /// </summary>
    internal static void Strided(float* a, int lda, bool transA, float* b, int ldb, bool transB, float* c, int ldc,
        int m, int n, int k, bool accumulate, MatMulPrecision precision = MatMulPrecision.F32)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        var isa = KernelIsa.Active;
        if (isa == Isa.Scalar)
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < k; p++)
                        sum += TrainGemmReference.Round(transA ? a[(long)p * lda + i] : a[(long)i * lda + p], precision)
                            * TrainGemmReference.Round(transB ? b[(long)j * ldb + p] : b[(long)p * ldb + j], precision);
                    float* cij = c + (long)i * ldc + j;
                    *cij = accumulate ? *cij + sum : sum;
                }
            return;
        }
        int nr = isa == Isa.Avx512 ? 32 : 16;
        var pool = ComputePool.Shared;
        var (mc, nc) = TilePlan(m, n, nr, pool.Threads);
        var job = new TileJob
        {
            A = a, B = b, C = c, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transA, TransB = transB,
            M = m, N = n, K = k, Mc = mc, Nc = nc, NTiles = (n + nc - 1) / nc, Accumulate = accumulate,
            Precision = precision, Wide = isa == Isa.Avx512,
        };
        int tiles = ((m + mc - 1) / mc) * job.NTiles;
        pool.For(tiles, 1, ref job);
    }

    // Shrinks the tiles until every thread has about two to take (small products, few tokens).
    internal static (int Mc, int Nc) TilePlan(int m, int n, int nr, int threads)
    {
        int mc = MC, nc = NC;
        while (Tiles(m, mc) * Tiles(n, nc) < 2 * threads)
        {
            if (nc > 2 * nr && Tiles(n, nc / 2) > Tiles(n, nc) && nc >= mc) nc /= 2;
            else if (mc > 4 * GemmMicroKernels.MR && Tiles(m, mc / 2) > Tiles(m, mc)) mc /= 2;
            else if (nc > 2 * nr && Tiles(n, nc / 2) > Tiles(n, nc)) nc /= 2;
            else break;
        }
        return (mc, nc);

        static int Tiles(int len, int block) => (len + block - 1) / block;
    }

    private struct TileJob : IRangeJob
    {
        public float* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K, Mc, Nc, NTiles;
        public bool TransA, TransB, Accumulate, Wide;
        public MatMulPrecision Precision;

        public readonly void Execute(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                int i0 = t / NTiles * Mc, j0 = t % NTiles * Nc;
                int rows = Math.Min(Mc, M - i0), cols = Math.Min(Nc, N - j0);
                switch (Precision, Wide)
                {
                    case (MatMulPrecision.F32, true): Tile<NoRounding, GemmMicroKernels.Avx512>(i0, rows, j0, cols); break;
                    case (MatMulPrecision.F32, false): Tile<NoRounding, GemmMicroKernels.Avx2>(i0, rows, j0, cols); break;
                    case (MatMulPrecision.BF16, true): Tile<Bf16Rounding, GemmMicroKernels.Avx512>(i0, rows, j0, cols); break;
                    case (MatMulPrecision.BF16, false): Tile<Bf16Rounding, GemmMicroKernels.Avx2>(i0, rows, j0, cols); break;
                    case (_, true): Tile<F16Rounding, GemmMicroKernels.Avx512>(i0, rows, j0, cols); break;
                    default: Tile<F16Rounding, GemmMicroKernels.Avx2>(i0, rows, j0, cols); break;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Tile<TRound, TKernel>(int i0, int rows, int j0, int cols)
            where TRound : struct, IOperandRounding where TKernel : struct, IMicroKernel
        {
            const int MR = GemmMicroKernels.MR;
            int nr = TKernel.Nr;
            var (bufA, bufB) = PackBuffers.ForThisThread(MC * KC, NC * KC);
            float* packA = (float*)bufA, packB = (float*)bufB;
            float* tile = stackalloc float[MR * 32 + 16];
            tile = (float*)(((nint)tile + 63) & ~(nint)63);
            for (int p0 = 0; p0 < K; p0 += KC)
            {
                int kc = Math.Min(KC, K - p0);
                bool add = Accumulate || p0 > 0;
                GemmPacking.PackB<TRound>(B, Ldb, TransB, p0, kc, j0, cols, nr, packB);
                GemmPacking.PackA<TRound>(A, Lda, TransA, i0, rows, p0, kc, packA);
                for (int jr = 0; jr < cols; jr += nr)
                {
                    int w = Math.Min(nr, cols - jr);
                    float* bp = packB + (long)jr * kc;
                    for (int ir = 0; ir < rows; ir += MR)
                    {
                        int h = Math.Min(MR, rows - ir);
                        float* ap = packA + (long)ir * kc;
                        float* cp = C + (long)(i0 + ir) * Ldc + j0 + jr;
                        if (h == MR && w == nr)
                        {
                            TKernel.Run(kc, ap, bp, cp, Ldc, add);
                            continue;
                        }
                        // Ragged edge: full tile into scratch, then only the valid part into C.
                        TKernel.Run(kc, ap, bp, tile, nr, false);
                        for (int r = 0; r < h; r++)
                        {
                            float* cr = cp + (long)r * Ldc, tr = tile + r * nr;
                            if (add) for (int j = 0; j < w; j++) cr[j] += tr[j];
                            else for (int j = 0; j < w; j++) cr[j] = tr[j];
                        }
                    }
                }
            }
        }
    }

    /// <summary>64-byte aligned packing panels, one pair per thread, allocated once (pinned, freed with the thread).</summary>
    private static class PackBuffers
    {
        [ThreadStatic] private static float[]? _a, _b;

        public static (nint A, nint B) ForThisThread(int aLength, int bLength) =>
            (Aligned(ref _a, aLength), Aligned(ref _b, bLength));

        private static nint Aligned(ref float[]? array, int length)
        {
            array ??= GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
            fixed (float* p = array) return ((nint)p + 63) & ~(nint)63;
        }
    }
}
