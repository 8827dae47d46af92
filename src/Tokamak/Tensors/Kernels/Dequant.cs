using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Converts stored rows of any <see cref="DType"/> to F32. Block layouts follow GGUF: Q8_0 is
/// <c>{f16 d; i8 q[32]}</c> with x = d·q; Q4_0 is <c>{f16 d; u8 q[16]}</c> where byte j holds element j in its low
/// nibble and element j+16 in its high nibble, x = d·(nibble − 8).
/// </summary>
public static unsafe class Dequant
{
    /// <summary>Dequantizes <c>dst.Length</c> elements starting at <paramref name="src"/> (SIMD).</summary>
    public static void Row(DType t, byte* src, Span<float> dst) => Row(t, src, dst, KernelIsa.Active);

    internal static void Row(DType t, byte* src, Span<float> dst, Isa isa)
    {
        if (isa == Isa.Scalar)
        {
            RowScalar(t, src, dst);
            return;
        }
        fixed (float* d = dst)
        {
            switch (t)
            {
                case DType.F32: new ReadOnlySpan<float>(src, dst.Length).CopyTo(dst); break;
                case DType.F16: RowSimd<F16Format>(src, d, dst.Length, isa); break;
                case DType.BF16: RowSimd<BF16Format>(src, d, dst.Length, isa); break;
                case DType.Q8_0: RowSimd<Q8_0Format>(src, d, dst.Length, isa); break;
                case DType.Q4_0: RowSimd<Q4_0Format>(src, d, dst.Length, isa); break;
                case DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K:
                    Quant.BlockRows.Decode(t, src, dst, isa); // GGUF block types: see Tensors/Quant
                    break;
                default: throw new NotSupportedException($"dequantize {t}");
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSimd<TW>(byte* src, float* dst, int n, Isa isa) where TW : IWeightFormat
    {
        int i = 0;
        if (isa == Isa.Avx512)
            for (; i + 16 <= n; i += 16) TW.Load16(src, i).Store(dst + i);
        for (; i + 8 <= n; i += 8) TW.Load8(src, i).Store(dst + i);
        for (; i < n; i++) dst[i] = TW.Load1(src, i);
    }

    /// <summary>Scalar reference for <see cref="Row(DType, byte*, Span{float})"/>.</summary>
    public static void RowScalar(DType t, byte* src, Span<float> dst)
    {
        int n = dst.Length;
        switch (t)
        {
            case DType.F32:
                new ReadOnlySpan<float>(src, n).CopyTo(dst);
                break;
            case DType.F16:
                {
                    var h = (Half*)src;
                    for (int i = 0; i < n; i++) dst[i] = (float)h[i];
                    break;
                }
            case DType.BF16:
                {
                    var b = (ushort*)src;
                    for (int i = 0; i < n; i++) dst[i] = BF16ToFloat(b[i]);
                    break;
                }
            case DType.Q8_0:
                for (int blk = 0; blk < n / 32; blk++)
                {
                    byte* p = src + blk * 34;
                    float d = (float)Unsafe.ReadUnaligned<Half>(p);
                    var q = (sbyte*)(p + 2);
                    for (int j = 0; j < 32; j++) dst[blk * 32 + j] = d * q[j];
                }
                break;
            case DType.Q4_0:
                for (int blk = 0; blk < n / 32; blk++)
                {
                    byte* p = src + blk * 18;
                    float d = (float)Unsafe.ReadUnaligned<Half>(p);
                    byte* q = p + 2;
                    for (int j = 0; j < 16; j++)
                    {
                        dst[blk * 32 + j] = d * ((q[j] & 0xF) - 8);
                        dst[blk * 32 + j + 16] = d * ((q[j] >> 4) - 8);
                    }
                }
                break;
            case DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K:
                Quant.BlockCodec.Dequantize(t, src, dst); // GGUF block types: see Tensors/Quant
                break;
            default:
                throw new NotSupportedException($"dequantize {t}");
        }
    }

    /// <summary>bfloat16 bits to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToFloat(ushort b) => BitConverter.Int32BitsToSingle(b << 16);

    /// <summary>float to bfloat16 bits, rounding to nearest even (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBF16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }
}
