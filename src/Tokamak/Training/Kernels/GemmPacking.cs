using System.Runtime.CompilerServices;

namespace Tokamak.Training.Kernels;

/// <summary>
/// Copies blocks of the logical operands of <c>C = op(A) · op(B)</c> into the contiguous panels the micro-kernels
/// stream, rounding each element to the matmul precision on the way. Either storage order of each operand is read
/// directly, so no operand is ever transposed as a whole.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows [i0, i0 + rows) × reduction [p0, p0 + kc) of A into <c>⌈rows / MR⌉</c> panels of <c>[kc, MR]</c>
    /// (zero-padded). A(i, p) is <c>a[i·lda + p]</c>, or <c>a[p·lda + i]</c> when <paramref name="trans"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TRound>(float* a, int lda, bool trans, int i0, int rows, int p0, int kc, float* dst)
        where TRound : struct, IOperandRounding
    {
        const int MR = GemmMicroKernels.MR;
        for (int ir = 0; ir < rows; ir += MR)
        {
            int r = Math.Min(MR, rows - ir);
            float* d = dst + (long)ir * kc; // panel ir/MR starts at (ir/MR)·kc·MR = ir·kc
            if (!trans)
            {
                for (int rr = 0; rr < r; rr++)
                {
                    float* s = a + (long)(i0 + ir + rr) * lda + p0;
                    for (int p = 0; p < kc; p++) d[p * MR + rr] = TRound.Round(s[p]);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = a + (long)(p0 + p) * lda + i0 + ir;
                    for (int rr = 0; rr < r; rr++) d[p * MR + rr] = TRound.Round(s[rr]);
                }
            }
            for (int rr = r; rr < MR; rr++)
                for (int p = 0; p < kc; p++) d[p * MR + rr] = 0f;
        }
    }

    /// <summary>
    /// Reduction [p0, p0 + kc) × columns [j0, j0 + cols) of B into <c>⌈cols / nr⌉</c> panels of <c>[kc, nr]</c>
    /// (zero-padded). B(p, j) is <c>b[p·ldb + j]</c>, or <c>b[j·ldb + p]</c> when <paramref name="trans"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TRound>(float* b, int ldb, bool trans, int p0, int kc, int j0, int cols, int nr, float* dst)
        where TRound : struct, IOperandRounding
    {
        for (int jr = 0; jr < cols; jr += nr)
        {
            int w = Math.Min(nr, cols - jr);
            float* d = dst + (long)jr * kc;
            if (!trans)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* dp = d + p * nr;
                    if (TRound.Identity) new ReadOnlySpan<float>(s, w).CopyTo(new Span<float>(dp, w));
                    else for (int c = 0; c < w; c++) dp[c] = TRound.Round(s[c]);
                    for (int c = w; c < nr; c++) dp[c] = 0f;
                }
            }
            else
            {
                // Four source rows at a time keep four sequential read streams and fill half a cache line per p.
                int c = 0;
                for (; c + 4 <= w; c += 4)
                {
                    float* s0 = b + (long)(j0 + jr + c) * ldb + p0, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
                    float* dp = d + c;
                    for (int p = 0; p < kc; p++, dp += nr)
                    {
                        dp[0] = TRound.Round(s0[p]); dp[1] = TRound.Round(s1[p]);
                        dp[2] = TRound.Round(s2[p]); dp[3] = TRound.Round(s3[p]);
                    }
                }
                for (; c < w; c++)
                {
                    float* s = b + (long)(j0 + jr + c) * ldb + p0;
                    for (int p = 0; p < kc; p++) d[p * nr + c] = TRound.Round(s[p]);
                }
                for (c = w; c < nr; c++)
                    for (int p = 0; p < kc; p++) d[p * nr + c] = 0f;
            }
        }
    }
}
