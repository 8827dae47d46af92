using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// IEEE binary16 → binary32 with integer and multiply operations only (.NET exposes no F16C/vcvtph2ps): move the
/// exponent/mantissa into float position and multiply by 2^112 to rebias; this is exact for zeros, subnormals and
/// normals. Exponent 31 (inf/NaN) is patched separately.
/// </summary>
internal static class HalfBits
{
    private const float Rebias = 5.192296858534828e33f; // 2^112 = 2^(127 - 15)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h)
    {
        uint em = h & 0x7FFFu;
        float f = BitConverter.UInt32BitsToSingle(em << 13) * Rebias;
        uint bits = em >= 0x7C00u ? (em << 13) | 0x7F800000u : BitConverter.SingleToUInt32Bits(f);
        return BitConverter.UInt32BitsToSingle(bits | ((uint)(h & 0x8000) << 16));
    }

    /// <summary>
    /// 16 halves, sign-extended to 32-bit lanes, to floats. Sign extension puts the sign in bit 31 after the
    /// shift by 13, so one mask keeps sign, exponent and mantissa together and the multiply carries the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<int> h)
    {
        var m = (h << 13) & Vector512.Create(unchecked((int)0x8FFFE000));
        var f = m.AsSingle() * Vector512.Create(Rebias);
        var exp = m & Vector512.Create(0x0F800000);
        var special = Vector512.Equals(exp, Vector512.Create(0x0F800000));
        return Vector512.ConditionalSelect(special, m | Vector512.Create(0x7F800000), f.AsInt32()).AsSingle();
    }

    /// <summary>8 halves, sign-extended to 32-bit lanes, to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<int> h)
    {
        var m = (h << 13) & Vector256.Create(unchecked((int)0x8FFFE000));
        var f = m.AsSingle() * Vector256.Create(Rebias);
        var exp = m & Vector256.Create(0x0F800000);
        var special = Vector256.Equals(exp, Vector256.Create(0x0F800000));
        return Vector256.ConditionalSelect(special, m | Vector256.Create(0x7F800000), f.AsInt32()).AsSingle();
    }
}
