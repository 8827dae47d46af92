using System.Runtime.CompilerServices;

namespace Tokamak.Training.Kernels;

/// <summary>How a matmul operand element is rounded while it is packed (specialized per struct, so F32 costs nothing).</summary>
internal interface IOperandRounding
{
    static abstract bool Identity { get; }
    static abstract float Round(float x);
}

internal readonly struct NoRounding : IOperandRounding
{
    public static bool Identity => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float x) => x;
}

internal readonly struct Bf16Rounding : IOperandRounding
{
    public static bool Identity => false;

    /// <summary>FP32 → BF16 → FP32, round to nearest even; NaN stays NaN, overflow past BF16's max goes to ±Inf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float x)
    {
        uint b = BitConverter.SingleToUInt32Bits(x);
        if ((b & 0x7FFF_FFFFu) > 0x7F80_0000u) return x;
        b += 0x7FFFu + ((b >> 16) & 1u);
        return BitConverter.UInt32BitsToSingle(b & 0xFFFF_0000u);
    }
}

internal readonly struct F16Rounding : IOperandRounding
{
    public static bool Identity => false;

    /// <summary>FP32 → IEEE half → FP32 (|x| ≥ 65520 becomes ±Inf, tiny values flush through subnormals to 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float x) => (float)(Half)x;
}
