using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Quant;

/// <summary>
/// AVX2 decoders for the block types the mixed recipes use most (Q5_0, Q4_K, Q6_K), eight elements per step.
/// They form exactly the scalar decoders' float operations (int → float, then the same multiplies and
/// subtractions, no FMA), so their output is bit-identical to <see cref="BlockCodec.Dequantize"/>.
/// </summary>
internal static unsafe class BlockDecodeAvx2
{
    public static bool Handles(DType t) => t is DType.Q5_0 or DType.Q4_K or DType.Q6_K;

    public static void Row(DType t, byte* src, float* y, int n)
    {
        switch (t)
        {
            case DType.Q5_0:
                for (int b = 0; b < n / 32; b++) Q5_0(src + b * 22, y + b * 32);
                break;
            case DType.Q4_K:
                for (int b = 0; b < n / 256; b++) Q4_K(src + b * 144, y + b * 256);
                break;
            case DType.Q6_K:
                for (int b = 0; b < n / 256; b++) Q6_K(src + b * 210, y + b * 256);
                break;
            default: throw new NotSupportedException($"AVX2 decode of {t}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen(byte* p) => Avx2.ConvertToVector256Int32(p);

    private static void Q5_0(byte* b, float* y)
    {
        var d = Vector256.Create(HalfScale.Read(b));
        uint qh = Unsafe.ReadUnaligned<uint>(b + 2);
        byte* qs = b + 6;
        var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var one = Vector256.Create(1u);
        var sixteen = Vector256.Create(16);
        for (int j = 0; j < 16; j += 8)
        {
            var v = Widen(qs + j);
            var hLo = Avx2.ShiftRightLogicalVariable(Vector256.Create(qh >> j), lanes) & one;
            var hHi = Avx2.ShiftRightLogicalVariable(Vector256.Create(qh >> (j + 16)), lanes) & one;
            var lo = ((v & Vector256.Create(0xF)) | (hLo.AsInt32() << 4)) - sixteen;
            var hi = ((v >>> 4) | (hHi.AsInt32() << 4)) - sixteen;
            (Vector256.ConvertToSingle(lo) * d).Store(y + j);
            (Vector256.ConvertToSingle(hi) * d).Store(y + j + 16);
        }
    }

    private static void Q4_K(byte* b, float* y)
    {
        float d = HalfScale.Read(b), dmin = HalfScale.Read(b + 2);
        byte* scales = b + 4, qs = b + 16;
        var mask = Vector256.Create(0xF);
        for (int c = 0; c < 4; c++)
        {
            KScales6.Get(scales, 2 * c, out int s0, out int m0);
            KScales6.Get(scales, 2 * c + 1, out int s1, out int m1);
            var d0 = Vector256.Create(d * s0); var dm0 = Vector256.Create(dmin * m0);
            var d1 = Vector256.Create(d * s1); var dm1 = Vector256.Create(dmin * m1);
            byte* q = qs + 32 * c;
            float* y0 = y + 64 * c;
            for (int l = 0; l < 32; l += 8)
            {
                var v = Widen(q + l);
                (d0 * Vector256.ConvertToSingle(v & mask) - dm0).Store(y0 + l);
                (d1 * Vector256.ConvertToSingle(v >>> 4) - dm1).Store(y0 + 32 + l);
            }
        }
    }

    private static void Q6_K(byte* b, float* y)
    {
        float d = HalfScale.Read(b + 208);
        var sc = (sbyte*)(b + 192);
        var mask = Vector256.Create(0xF);
        var three = Vector256.Create(3);
        var off = Vector256.Create(32);
        for (int h = 0; h < 2; h++)
        {
            byte* ql = b + 64 * h, qh = b + 128 + 32 * h;
            float* yh = y + 128 * h;
            sbyte* s = sc + 8 * h;
            for (int l = 0; l < 32; l += 8)
            {
                int i = l >> 4;
                var a = Widen(ql + l);
                var c = Widen(ql + 32 + l);
                var hv = Widen(qh + l);
                var q1 = ((a & mask) | ((hv & three) << 4)) - off;
                var q2 = ((c & mask) | (((hv >>> 2) & three) << 4)) - off;
                var q3 = ((a >>> 4) | (((hv >>> 4) & three) << 4)) - off;
                var q4 = ((c >>> 4) | (((hv >>> 6) & three) << 4)) - off;
                (Vector256.Create(d * s[i]) * Vector256.ConvertToSingle(q1)).Store(yh + l);
                (Vector256.Create(d * s[i + 2]) * Vector256.ConvertToSingle(q2)).Store(yh + l + 32);
                (Vector256.Create(d * s[i + 4]) * Vector256.ConvertToSingle(q3)).Store(yh + l + 64);
                (Vector256.Create(d * s[i + 6]) * Vector256.ConvertToSingle(q4)).Store(yh + l + 96);
            }
        }
    }
}
