using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Reads elements of one stored row as floats, straight from the stored format (dequantized in registers).
/// Implemented by empty structs so generic kernels are specialized per format by the JIT.
/// </summary>
internal unsafe interface IWeightFormat
{
    /// <summary>Elements 16 at a time are available when the row length is a multiple of this.</summary>
    static abstract int VectorMultiple { get; }

    /// <summary>Elements [i, i+16) of <paramref name="row"/>; i is a multiple of 16. AVX-512 F/BW.</summary>
    static abstract Vector512<float> Load16(byte* row, int i);

    /// <summary>Elements [i, i+8) of <paramref name="row"/>; i is a multiple of 8. AVX2.</summary>
    static abstract Vector256<float> Load8(byte* row, int i);

    /// <summary>Element i of <paramref name="row"/>.</summary>
    static abstract float Load1(byte* row, int i);
}

internal unsafe struct F32Format : IWeightFormat
{
    public static int VectorMultiple => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int i) => Vector512.Load((float*)row + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int i) => Vector256.Load((float*)row + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int i) => ((float*)row)[i];
}

internal unsafe struct F16Format : IWeightFormat
{
    public static int VectorMultiple => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int i) =>
        HalfBits.ToSingle(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + i)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int i) =>
        HalfBits.ToSingle(Avx2.ConvertToVector256Int32((short*)row + i));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int i) => HalfBits.ToSingle(((ushort*)row)[i]);
}

internal unsafe struct BF16Format : IWeightFormat
{
    public static int VectorMultiple => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int i) =>
        (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + i)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int i) =>
        (Avx2.ConvertToVector256Int32((ushort*)row + i) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int i) => BitConverter.Int32BitsToSingle(((ushort*)row)[i] << 16);
}

/// <summary>Q8_0 blocks <c>{f16 d; i8 q[32]}</c> (34 bytes).</summary>
internal unsafe struct Q8_0Format : IWeightFormat
{
    public static int VectorMultiple => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 34;
        var q = Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)(b + 2 + (i & 16))));
        return Avx512F.ConvertToVector512Single(q) * Vector512.Create(HalfBits.ToSingle(*(ushort*)b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 34;
        var q = Avx2.ConvertToVector256Int32((sbyte*)(b + 2 + (i & 31)));
        return Avx.ConvertToVector256Single(q) * Vector256.Create(HalfBits.ToSingle(*(ushort*)b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 34;
        return HalfBits.ToSingle(*(ushort*)b) * ((sbyte*)(b + 2))[i & 31];
    }
}

/// <summary>Q4_0 blocks <c>{f16 d; u8 q[16]}</c> (18 bytes): byte j holds element j (low nibble) and j+16 (high).</summary>
internal unsafe struct Q4_0Format : IWeightFormat
{
    public static int VectorMultiple => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 18;
        var q = Avx512F.ConvertToVector512Int32(Vector128.Load(b + 2));
        q = ((q >>> (i & 16) / 4) & Vector512.Create(0xF)) - Vector512.Create(8);
        return Avx512F.ConvertToVector512Single(q) * Vector512.Create(HalfBits.ToSingle(*(ushort*)b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 18;
        var q = Avx2.ConvertToVector256Int32(b + 2 + (i & 15));
        q = ((q >>> (i & 16) / 4) & Vector256.Create(0xF)) - Vector256.Create(8);
        return Avx.ConvertToVector256Single(q) * Vector256.Create(HalfBits.ToSingle(*(ushort*)b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int i)
    {
        byte* b = row + (i >> 5) * 18;
        int j = i & 31;
        int q = (b[2 + (j & 15)] >> (j & 16) / 4) & 0xF;
        return HalfBits.ToSingle(*(ushort*)b) * (q - 8);
    }
}
