namespace Tokamak.Tensors.Quant;

/// <summary>
/// Scalar rows of the GGUF block types that have no SIMD kernel of their own (Q4_1, Q5_0, Q5_1 and the K-quants):
/// the dispatch <see cref="Tensors.Kernels.Dequant"/>, <see cref="Tensors.Kernels.Quantize"/> and the matmul
/// fallback use.
/// </summary>
public static unsafe class BlockCodec
{
    /// <summary>Whether <paramref name="t"/> is one of the types this class converts.</summary>
    public static bool Handles(DType t) => t is DType.Q4_1 or DType.Q5_0 or DType.Q5_1
        or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K;

    /// <summary>Dequantizes <c>dst.Length</c> elements (a whole number of blocks) starting at <paramref name="src"/>.</summary>
    public static void Dequantize(DType t, byte* src, Span<float> dst)
    {
        int bs = DTypes.BlockSize(t), bb = DTypes.BlockBytes(t), blocks = CheckedBlocks(t, dst.Length);
        fixed (float* y = dst)
        {
            for (int i = 0; i < blocks; i++)
            {
                byte* b = src + (long)i * bb;
                float* o = y + (long)i * bs;
                switch (t)
                {
                    case DType.Q4_1: Q4_1Block.Decode(b, o); break;
                    case DType.Q5_0: Q5_0Block.Decode(b, o); break;
                    case DType.Q5_1: Q5_1Block.Decode(b, o); break;
                    case DType.Q2_K: Q2_KBlock.Decode(b, o); break;
                    case DType.Q3_K: Q3_KBlock.Decode(b, o); break;
                    case DType.Q4_K: Q4_KBlock.Decode(b, o); break;
                    case DType.Q5_K: Q5_KBlock.Decode(b, o); break;
                    case DType.Q6_K: Q6_KBlock.Decode(b, o); break;
                    default: throw new NotSupportedException($"dequantize {t}");
                }
            }
        }
    }

    /// <summary>Quantizes <c>src.Length</c> elements (a whole number of blocks) to <paramref name="dst"/>.</summary>
    public static void Quantize(DType t, ReadOnlySpan<float> src, byte* dst)
    {
        int bs = DTypes.BlockSize(t), bb = DTypes.BlockBytes(t), blocks = CheckedBlocks(t, src.Length);
        for (int i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * bs, bs);
            byte* b = dst + (long)i * bb;
            switch (t)
            {
                case DType.Q4_1: Q4_1Block.Encode(x, b); break;
                case DType.Q5_0: Q5_0Block.Encode(x, b); break;
                case DType.Q5_1: Q5_1Block.Encode(x, b); break;
                case DType.Q2_K: Q2_KBlock.Encode(x, b); break;
                case DType.Q3_K: Q3_KBlock.Encode(x, b); break;
                case DType.Q4_K: Q4_KBlock.Encode(x, b); break;
                case DType.Q5_K: Q5_KBlock.Encode(x, b); break;
                case DType.Q6_K: Q6_KBlock.Encode(x, b); break;
                default: throw new NotSupportedException($"quantize to {t}");
            }
        }
    }

    private static int CheckedBlocks(DType t, int n)
    {
        if (!Handles(t)) throw new NotSupportedException($"{t} is not a block type handled here");
        int bs = DTypes.BlockSize(t);
        if (n % bs != 0) throw new ArgumentException($"{n} elements is not a whole number of {DTypes.Name(t)} blocks of {bs}");
        return n / bs;
    }
}
