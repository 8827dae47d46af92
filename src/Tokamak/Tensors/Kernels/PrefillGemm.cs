using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>Converts one stored weight row to F32 (the prefill GEMM's per-panel conversion).</summary>
internal unsafe interface IRowDecoder
{
    /// <summary>
    /// Elements [from, from + k) of <paramref name="row"/> (stored as <paramref name="t"/>) into dst; from is a
    /// multiple of <see cref="PrefillGemm.KC"/>, so it starts a block of every type.
    /// </summary>
    static abstract void Decode(DType t, byte* row, int from, float* dst, int k, Isa isa);
}

/// <summary>Rows of an <see cref="IWeightFormat"/>, converted in registers.</summary>
internal unsafe struct FormatRows<TW> : IRowDecoder where TW : IWeightFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(DType t, byte* row, int from, float* dst, int k, Isa isa)
    {
        int i = 0;
        if (isa == Isa.Avx512)
            for (; i + 16 <= k; i += 16) TW.Load16(row, from + i).Store(dst + i);
        for (; i + 8 <= k; i += 8) TW.Load8(row, from + i).Store(dst + i);
        for (; i < k; i++) dst[i] = TW.Load1(row, from + i);
    }
}

/// <summary>Rows of the GGUF block types (Q4_1, Q5_0, … Q6_K) through their row decoders.</summary>
internal unsafe struct BlockTypeRows : IRowDecoder
{
    public static void Decode(DType t, byte* row, int from, float* dst, int k, Isa isa) =>
        Quant.BlockRows.Decode(t, row + DTypes.ByteCount(t, from), new Span<float>(dst, k), isa);
}

/// <summary>
/// Prefill / batched product y [n, out] = x [n, in] · Wᵀ, register-blocked: a tile is 6 weight rows × 32 tokens
/// (AVX-512, 12 zmm accumulators) or × 16 tokens (AVX2, 12 ymm). Per reduction step the kernel loads two vectors of
/// packed activations and broadcasts one weight element from each of the 6 rows (6 sequential read streams from an
/// F32 copy of the rows), for 12 FMAs. The activations are packed once per call into token panels <c>[in, 32]</c>
/// (zero-padded past n), so no weight element is ever transposed. Cache blocking (GotoBLAS order): per block of
/// <see cref="MC"/> weight rows and slice of <see cref="KC"/> inputs, the rows are converted to F32 once (L2) and each
/// token panel's slice (L1) sweeps all row tiles; tiles are summed across slices in a small buffer and written
/// transposed into y once per row block. Each weight element is read from memory and converted once per call.
/// </summary>
internal static unsafe class PrefillGemm
{
    /// <summary>Weight rows per register tile.</summary>
    public const int MR = 6;

    /// <summary>Reduction slice: a packed token panel slice is KC × 32 floats (32 KiB, L1) and a multiple of every block size.</summary>
    public const int KC = 256;

    /// <summary>Weight rows per block (8 tiles): MC × KC F32 (48 KiB) stays in L2 while all token panels pass.</summary>
    public const int MC = 48;

    [ThreadStatic] private static float[]? _rows;
    [ThreadStatic] private static float[]? _acc;
    [ThreadStatic] private static float[]? _packed;

    /// <summary>Tokens per panel for the given path.</summary>
    public static int PanelTokens(Isa isa) => isa == Isa.Avx512 ? 32 : 16;

    /// <summary>
    /// Packs x [n, k] into ⌈n / nr⌉ panels of [k, nr] (tokens padded with zeros) in scratch of the calling thread,
    /// valid until the next call on this thread.
    /// </summary>
    public static float* PackActivations(float* x, int n, int k, Isa isa)
    {
        int nr = PanelTokens(isa), panels = (n + nr - 1) / nr;
        float* dst = Scratch(ref _packed, (long)panels * k * nr);
        for (int pn = 0; pn < panels; pn++)
        {
            float* d = dst + (long)pn * k * nr;
            int t0 = pn * nr, tn = Math.Min(nr, n - t0);
            if (tn < nr) new Span<float>(d, k * nr).Clear();
            // Token by token: each source row is read sequentially, the panel written at stride nr.
            for (int t = 0; t < tn; t++)
            {
                float* s = x + (long)(t0 + t) * k;
                float* dp = d + t;
                for (int p = 0; p < k; p++) dp[(long)p * nr] = s[p];
            }
        }
        return dst;
    }

    /// <summary>Output rows [start, end) for all n tokens, from activations packed by <see cref="PackActivations"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TDec>(DType t, byte* w, long rowBytes, float* packed, float* y, int n, int k, int outDim,
        int start, int end, Isa isa) where TDec : IRowDecoder
    {
        int nr = PanelTokens(isa), panels = (n + nr - 1) / nr;
        float* rows = Scratch(ref _rows, (long)MC * KC);
        // Tiles of the current row block, [group][panel][6, nr], summed over the K slices.
        float* acc = Scratch(ref _acc, (long)MC * panels * nr);
        for (int o0 = start; o0 < end; o0 += MC)
        {
            int on = Math.Min(MC, end - o0), groups = (on + MR - 1) / MR;
            for (int p0 = 0; p0 < k; p0 += KC)
            {
                int kc = Math.Min(KC, k - p0);
                for (int r = 0; r < on; r++) TDec.Decode(t, w + (o0 + r) * rowBytes, p0, rows + (long)r * kc, kc, isa);
                // A ragged last group repeats the block's first row; those outputs are not stored.
                for (int r = on; r < groups * MR; r++) new Span<float>(rows, kc).CopyTo(new Span<float>(rows + (long)r * kc, kc));
                bool add = p0 > 0;
                for (int pn = 0; pn < panels; pn++)
                {
                    // Panel pn is [k, nr]; its slice [p0, p0 + kc) (nr·kc floats, L1) serves every row group.
                    float* b = packed + ((long)pn * k + p0) * nr;
                    for (int g = 0; g < groups; g++)
                    {
                        float* c = acc + ((long)g * panels + pn) * MR * nr;
                        if (isa == Isa.Avx512) Tile512(rows + (long)g * MR * kc, kc, b, c, add);
                        else Tile256(rows + (long)g * MR * kc, kc, b, c, add);
                    }
                }
            }
            for (int g = 0; g < groups; g++)
                for (int pn = 0; pn < panels; pn++)
                {
                    float* c = acc + ((long)g * panels + pn) * MR * nr;
                    int t0 = pn * nr, tn = Math.Min(nr, n - t0), og = o0 + g * MR, rn = Math.Min(MR, on - g * MR);
                    for (int tt = 0; tt < tn; tt++)
                    {
                        float* yr = y + (long)(t0 + tt) * outDim + og;
                        for (int r = 0; r < rn; r++) yr[r] = c[r * nr + tt];
                    }
                }
        }
    }

    // tile [6, 32] = rows [6, k] · b [k, 32].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512(float* a, int k, float* b, float* tile, bool add)
    {
        float* a0 = a, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, a4 = a3 + k, a5 = a4 + k;
        var c00 = Vector512<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        for (int p = 0; p < k; p++, b += 32)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
        }
        if (add)
        {
            c00 += Vector512.Load(tile); c01 += Vector512.Load(tile + 16); c10 += Vector512.Load(tile + 32); c11 += Vector512.Load(tile + 48);
            c20 += Vector512.Load(tile + 64); c21 += Vector512.Load(tile + 80); c30 += Vector512.Load(tile + 96); c31 += Vector512.Load(tile + 112);
            c40 += Vector512.Load(tile + 128); c41 += Vector512.Load(tile + 144); c50 += Vector512.Load(tile + 160); c51 += Vector512.Load(tile + 176);
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
    }

    // tile [6, 16] = rows [6, k] · b [k, 16].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256(float* a, int k, float* b, float* tile, bool add)
    {
        float* a0 = a, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, a4 = a3 + k, a5 = a4 + k;
        var c00 = Vector256<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        for (int p = 0; p < k; p++, b += 16)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
        }
        if (add)
        {
            c00 += Vector256.Load(tile); c01 += Vector256.Load(tile + 8); c10 += Vector256.Load(tile + 16); c11 += Vector256.Load(tile + 24);
            c20 += Vector256.Load(tile + 32); c21 += Vector256.Load(tile + 40); c30 += Vector256.Load(tile + 48); c31 += Vector256.Load(tile + 56);
            c40 += Vector256.Load(tile + 64); c41 += Vector256.Load(tile + 72); c50 += Vector256.Load(tile + 80); c51 += Vector256.Load(tile + 88);
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
    }

    private static float* Scratch(ref float[]? buf, long floats)
    {
        if (buf is null || buf.Length < floats)
            buf = GC.AllocateUninitializedArray<float>((int)Math.Max(floats, 4096), pinned: true);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
    }
}
