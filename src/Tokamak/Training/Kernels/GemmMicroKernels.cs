using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Training.Kernels;

/// <summary>A register-blocked <c>MR × Nr</c> update <c>C (+)= Apanel [kc, MR] · Bpanel [kc, Nr]</c>.</summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Columns of C per call (two vectors).</summary>
    static abstract int Nr { get; }

    /// <summary>Computes the tile into <paramref name="c"/> (row stride <paramref name="ldc"/>), adding to it when <paramref name="add"/>.</summary>
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, bool add);
}

/// <summary>
/// The micro-kernels: 6 rows × 2 vectors, i.e. 12 independent FMA accumulators — enough to cover the FMA latency on
/// two pipes (≥ 8 needed) while accumulators, two B vectors and a broadcast stay within the register file
/// (15 of AVX2's 16 ymm; AVX-512 has 32 zmm). Each k step loads two B vectors and six A scalars for 12 FMAs.
/// </summary>
internal static unsafe class GemmMicroKernels
{
    /// <summary>Rows of C per micro-kernel call.</summary>
    public const int MR = 6;

    /// <summary>6 × 32 with zmm registers.</summary>
    public readonly struct Avx512 : IMicroKernel
    {
        public static int Nr => 32;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, int ldc, bool add)
        {
            var c00 = Vector512<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
            var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
            for (int p = 0; p < kc; p++, a += MR, b += 32)
            {
                var b0 = Vector512.LoadAligned(b);
                var b1 = Vector512.LoadAligned(b + 16);
                var av = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
                av = Vector512.Create(a[1]);
                c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
                av = Vector512.Create(a[2]);
                c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
                av = Vector512.Create(a[3]);
                c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
                av = Vector512.Create(a[4]);
                c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
                av = Vector512.Create(a[5]);
                c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            }
            Store(c, c00, c01, add); c += ldc;
            Store(c, c10, c11, add); c += ldc;
            Store(c, c20, c21, add); c += ldc;
            Store(c, c30, c31, add); c += ldc;
            Store(c, c40, c41, add); c += ldc;
            Store(c, c50, c51, add);
        }

        private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
        {
            if (add) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
            v0.Store(c); v1.Store(c + 16);
        }
    }

    /// <summary>6 × 16 with ymm registers (AVX2 + FMA).</summary>
    public readonly struct Avx2 : IMicroKernel
    {
        public static int Nr => 16;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, float* b, float* c, int ldc, bool add)
        {
            var c00 = Vector256<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
            var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
            for (int p = 0; p < kc; p++, a += MR, b += 16)
            {
                var b0 = Vector256.LoadAligned(b);
                var b1 = Vector256.LoadAligned(b + 8);
                var av = Vector256.Create(a[0]);
                c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
                av = Vector256.Create(a[1]);
                c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
                av = Vector256.Create(a[2]);
                c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
                av = Vector256.Create(a[3]);
                c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
                av = Vector256.Create(a[4]);
                c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
                av = Vector256.Create(a[5]);
                c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            }
            Store(c, c00, c01, add); c += ldc;
            Store(c, c10, c11, add); c += ldc;
            Store(c, c20, c21, add); c += ldc;
            Store(c, c30, c31, add); c += ldc;
            Store(c, c40, c41, add); c += ldc;
            Store(c, c50, c51, add);
        }

        private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
        {
            if (add) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
            v0.Store(c); v1.Store(c + 8);
        }
    }
}
