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

    /// <summary>16 halves, already zero-extended to 32-bit lanes, to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> h)
    {
        var em = h & Vector512.Create(0x7FFFu);
        var shifted = em << 13;
        var f = shifted.AsSingle() * Vector512.Create(Rebias);
        var special = Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7C00u));
        var bits = Vector512.ConditionalSelect(special, shifted | Vector512.Create(0x7F800000u), f.AsUInt32());
        return (bits | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>8 halves, already zero-extended to 32-bit lanes, to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> h)
    {
        var em = h & Vector256.Create(0x7FFFu);
        var shifted = em << 13;
        var f = shifted.AsSingle() * Vector256.Create(Rebias);
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u));
        var bits = Vector256.ConditionalSelect(special, shifted | Vector256.Create(0x7F800000u), f.AsUInt32());
        return (bits | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }
}
