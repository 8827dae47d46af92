namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Converts F32 rows to a stored <see cref="DType"/> (the inverse of <see cref="Dequant"/>), round-to-nearest, in
/// GGUF block layouts. Q8_0: d = amax/127 stored as F16, q = round(x/d) (half away from zero). Q4_0 (as ggml): m
/// is the element of largest magnitude, with its sign; d = m/−8 stored as F16, q = clamp(⌊x/d + 8.5⌋, 0, 15).
/// Unlike ggml, x/d uses the F16-rounded d that is stored, which bounds the error by |d|/2 per element (by |d| for
/// Q4_0 elements clamped at 15) and makes quantizing dequantized values reproduce them exactly. Both hold while d
/// is in F16's normal range (≥ 2^-14, i.e. Q8_0 blocks with amax ≥ ~7.8e-3); below it the stored scale is coarse
/// and the largest elements can be off by a further (max |q|)·|d_exact − d|.
/// </summary>
public static unsafe class Quantize
{
    /// <summary>Writes <c>src.Length</c> elements (a whole number of blocks) of type <paramref name="t"/> to dst.</summary>
    public static void Row(DType t, ReadOnlySpan<float> src, byte* dst)
    {
        int n = src.Length;
        DTypes.ByteCount(t, n); // throws when n is not a whole number of blocks
        switch (t)
        {
            case DType.F32:
                src.CopyTo(new Span<float>(dst, n));
                break;
            case DType.F16:
                for (int i = 0; i < n; i++) ((Half*)dst)[i] = (Half)src[i];
                break;
            case DType.BF16:
                for (int i = 0; i < n; i++) ((ushort*)dst)[i] = Dequant.FloatToBF16(src[i]);
                break;
            case DType.Q8_0:
                for (int blk = 0; blk < n / 32; blk++) Q8Block(src.Slice(blk * 32, 32), dst + blk * 34);
                break;
            case DType.Q4_0:
                for (int blk = 0; blk < n / 32; blk++) Q4Block(src.Slice(blk * 32, 32), dst + blk * 18);
                break;
            case DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K:
                Quant.BlockCodec.Quantize(t, src, dst); // GGUF block types: see Tensors/Quant
                break;
            default:
                throw new NotSupportedException($"quantize to {t}");
        }
    }

    private static void Q8Block(ReadOnlySpan<float> x, byte* b)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var d = (Half)(amax / 127f);
        *(Half*)b = d;
        float id = (float)d != 0 ? 1f / (float)d : 0f;
        var q = (sbyte*)(b + 2);
        for (int j = 0; j < 32; j++) q[j] = (sbyte)Math.Clamp(MathF.Round(x[j] * id, MidpointRounding.AwayFromZero), -127, 127);
    }

    private static void Q4Block(ReadOnlySpan<float> x, byte* b)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        var d = (Half)(max / -8f);
        *(Half*)b = d;
        float id = (float)d != 0 ? 1f / (float)d : 0f;
        byte* q = b + 2;
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Clamp((int)MathF.Floor(x[j] * id + 8.5f), 0, 15);
            int hi = Math.Clamp((int)MathF.Floor(x[j + 16] * id + 8.5f), 0, 15);
            q[j] = (byte)(lo | hi << 4);
        }
    }
}
