using Tokamak.Tensors.Kernels;

namespace Tokamak.Tensors.Quant;

/// <summary>Row dequantization of <see cref="BlockCodec"/> types on the requested instruction-set path.</summary>
internal static unsafe class BlockRows
{
    /// <summary>Dequantizes <c>dst.Length</c> elements; AVX2 where a decoder exists, else the scalar codec (same bits).</summary>
    public static void Decode(DType t, byte* src, Span<float> dst, Isa isa)
    {
        if (isa != Isa.Scalar && BlockDecodeAvx2.Handles(t) && dst.Length % DTypes.BlockSize(t) == 0)
        {
            fixed (float* y = dst) BlockDecodeAvx2.Row(t, src, y, dst.Length);
            return;
        }
        BlockCodec.Dequantize(t, src, dst);
    }
}
