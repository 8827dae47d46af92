using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// The dot product of one stored block with the matching F32 activations, decoded in AVX-512 registers (no
/// dequantized copy in memory). Implemented by empty structs so <see cref="MatVecBlockKernels"/> is specialized per
/// type by the JIT.
/// </summary>
internal unsafe interface IBlockDot
{
    /// <summary>Elements per block.</summary>
    static abstract int Elements { get; }

    /// <summary>Bytes per block.</summary>
    static abstract int Bytes { get; }

    /// <summary>
    /// acc += the block's products as 16 partial sums; terms that do not depend on the element (K-quant mins) go
    /// to <paramref name="bias"/> via <paramref name="xsum"/>, the sums of x over each 32 elements of the block.
    /// </summary>
    static abstract Vector512<float> Dot(byte* blk, float* x, float* xsum, Vector512<float> acc, ref float bias);
}

/// <summary>Q8_0 <c>{f16 d; i8 q[32]}</c>: one F32 multiply by d per block instead of per element.</summary>
internal unsafe struct Q8_0Dot : IBlockDot
{
    public static int Elements => 32;
    public static int Bytes => 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Dot(byte* blk, float* x, float* xsum, Vector512<float> acc, ref float bias)
    {
        var q0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)(blk + 2))));
        var q1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)(blk + 18))));
        var p = Vector512.FusedMultiplyAdd(q1, Vector512.Load(x + 16), q0 * Vector512.Load(x));
        return Vector512.FusedMultiplyAdd(p, Vector512.Create(HalfBits.ToSingle(*(ushort*)blk)), acc);
    }
}

/// <summary>
/// Q5_0 <c>{f16 d; u32 qh; u8 qs[16]}</c>: element j &lt; 16 is the low nibble of qs[j] plus bit j of qh as bit 4,
/// element j + 16 the high nibble plus bit j + 16; x = d·(q − 16).
/// </summary>
internal unsafe struct Q5_0Dot : IBlockDot
{
    public static int Elements => 32;
    public static int Bytes => 22;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Dot(byte* blk, float* x, float* xsum, Vector512<float> acc, ref float bias)
    {
        var raw = Avx512F.ConvertToVector512Int32(Vector128.Load(blk + 6));
        var qh = Vector512.Create(*(uint*)(blk + 2));
        var lane = Vector512<uint>.Indices;
        // Bit j of qh moved to bit 4 of lane j: (qh >> j) << 4 & 16.
        var h0 = (Avx512F.ShiftRightLogicalVariable(qh, lane) << 4).AsInt32() & Vector512.Create(16);
        var h1 = (Avx512F.ShiftRightLogicalVariable(qh, lane + Vector512.Create(16u)) << 4).AsInt32() & Vector512.Create(16);
        var sixteen = Vector512.Create(16);
        var q0 = Avx512F.ConvertToVector512Single(((raw & Vector512.Create(0xF)) | h0) - sixteen);
        var q1 = Avx512F.ConvertToVector512Single(((raw >>> 4) | h1) - sixteen);
        var p = Vector512.FusedMultiplyAdd(q1, Vector512.Load(x + 16), q0 * Vector512.Load(x));
        return Vector512.FusedMultiplyAdd(p, Vector512.Create(HalfBits.ToSingle(*(ushort*)blk)), acc);
    }
}

/// <summary>
/// Q4_K super-block (see <see cref="Quant.Q4_KBlock"/>): x = (d·sc)·q − dmin·m per sub-block of 32, so the
/// product is Σ_sub d·sc·(q·x) − dmin·m·Σx, the second term from the precomputed sums of x.
/// </summary>
internal unsafe struct Q4_KDot : IBlockDot
{
    public static int Elements => 256;
    public static int Bytes => 144;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Dot(byte* blk, float* x, float* xsum, Vector512<float> acc, ref float bias)
    {
        float d = HalfBits.ToSingle(*(ushort*)blk), dmin = HalfBits.ToSingle(*(ushort*)(blk + 2));
        byte* sc = blk + 4, qs = blk + 16;
        var mask = Vector512.Create(0xF);
        for (int c = 0; c < 4; c++)
        {
            Quant.KScales6.Get(sc, 2 * c, out int s0, out int m0);
            Quant.KScales6.Get(sc, 2 * c + 1, out int s1, out int m1);
            var r0 = Avx512F.ConvertToVector512Int32(Vector128.Load(qs + 32 * c));
            var r1 = Avx512F.ConvertToVector512Int32(Vector128.Load(qs + 32 * c + 16));
            float* xc = x + 64 * c;
            var lo = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(r1 & mask), Vector512.Load(xc + 16),
                Avx512F.ConvertToVector512Single(r0 & mask) * Vector512.Load(xc));
            var hi = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(r1 >>> 4), Vector512.Load(xc + 48),
                Avx512F.ConvertToVector512Single(r0 >>> 4) * Vector512.Load(xc + 32));
            acc = Vector512.FusedMultiplyAdd(lo, Vector512.Create(d * s0), acc);
            acc = Vector512.FusedMultiplyAdd(hi, Vector512.Create(d * s1), acc);
            bias -= dmin * (m0 * xsum[2 * c] + m1 * xsum[2 * c + 1]);
        }
        return acc;
    }
}

/// <summary>
/// Q6_K super-block (see <see cref="Quant.Q6_KBlock"/>): in each half and for lanes l of 16, elements l, l+32,
/// l+64, l+96 combine the low/high nibbles of ql[l], ql[l+32] with bit pairs 0–1, 2–3, 4–5, 6–7 of qh[l];
/// every 16 elements have their own int8 scale.
/// </summary>
internal unsafe struct Q6_KDot : IBlockDot
{
    public static int Elements => 256;
    public static int Bytes => 210;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Dot(byte* blk, float* x, float* xsum, Vector512<float> acc, ref float bias)
    {
        float d = HalfBits.ToSingle(*(ushort*)(blk + 208));
        var sc = (sbyte*)(blk + 192);
        var mask = Vector512.Create(0xF);
        var three = Vector512.Create(3);
        var off = Vector512.Create(32);
        for (int h = 0; h < 2; h++)
        {
            byte* ql = blk + 64 * h, qh = blk + 128 + 32 * h;
            float* xh = x + 128 * h;
            sbyte* s = sc + 8 * h;
            for (int g = 0; g < 2; g++)
            {
                var l0 = Avx512F.ConvertToVector512Int32(Vector128.Load(ql + 16 * g));
                var l1 = Avx512F.ConvertToVector512Int32(Vector128.Load(ql + 32 + 16 * g));
                var hb = Avx512F.ConvertToVector512Int32(Vector128.Load(qh + 16 * g));
                float* xg = xh + 16 * g;
                var q1 = Avx512F.ConvertToVector512Single(((l0 & mask) | ((hb & three) << 4)) - off);
                var q2 = Avx512F.ConvertToVector512Single(((l1 & mask) | (((hb >>> 2) & three) << 4)) - off);
                var q3 = Avx512F.ConvertToVector512Single(((l0 >>> 4) | (((hb >>> 4) & three) << 4)) - off);
                var q4 = Avx512F.ConvertToVector512Single(((l1 >>> 4) | ((hb >>> 6) << 4)) - off);
                acc = Vector512.FusedMultiplyAdd(q1 * Vector512.Load(xg), Vector512.Create(d * s[g]), acc);
                acc = Vector512.FusedMultiplyAdd(q2 * Vector512.Load(xg + 32), Vector512.Create(d * s[g + 2]), acc);
                acc = Vector512.FusedMultiplyAdd(q3 * Vector512.Load(xg + 64), Vector512.Create(d * s[g + 4]), acc);
                acc = Vector512.FusedMultiplyAdd(q4 * Vector512.Load(xg + 96), Vector512.Create(d * s[g + 6]), acc);
            }
        }
        return acc;
    }
}
