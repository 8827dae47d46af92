using System.Runtime.CompilerServices;

namespace Tokamak.Tensors.Quant;

/// <summary>F16 scale fields of GGUF blocks: reading, and rounding a wanted scale to a storable one.</summary>
internal static unsafe class HalfScale
{
    /// <summary>The F16 at <paramref name="p"/> (unaligned, little-endian) as float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* p) => (float)Unsafe.ReadUnaligned<Half>(p);

    /// <summary>Stores <paramref name="h"/> at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* p, Half h) => Unsafe.WriteUnaligned(p, h);

    /// <summary>
    /// The smallest F16 not below <paramref name="v"/> (v ≥ 0), so a stored step still spans the values it must
    /// reach. A shortfall within float noise (2^-20 relative) is ignored, which keeps re-quantizing dequantized
    /// values from bumping the scale by one F16 step each time.
    /// </summary>
    public static Half AtLeast(float v)
    {
        var h = (Half)v;
        if ((float)h < v * (1 - 1f / (1 << 20)) && !Half.IsInfinity(h)) h = Half.BitIncrement(h);
        return h;
    }

    /// <summary>The largest F16 not above <paramref name="v"/> (within float noise), the mirror of <see cref="AtLeast"/>.</summary>
    public static Half AtMost(float v)
    {
        var h = (Half)v;
        float slack = MathF.Abs(v) / (1 << 20);
        if ((float)h > v + slack && !Half.IsInfinity(h)) h = Half.BitDecrement(h);
        return h;
    }
}
