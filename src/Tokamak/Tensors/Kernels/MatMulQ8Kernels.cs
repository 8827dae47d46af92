using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Decode kernels for Q8_0/Q4_0 weights against <see cref="ActivationQ8"/> activations:
/// y[o] = Σ_blocks d_w · d_x · Σ_j q_w[j] · q_x[j], the inner sum exact in int32 (<c>vpmaddwd</c> on int16-widened
/// weights), one float FMA per block for the scales. Two output rows per pass share each activation load.
/// </summary>
internal static unsafe class MatMulQ8Kernels
{
    public static void Rows512(DType t, byte* w, long rowBytes, short* xq, float* xd, float* y, int inDim, int start, int end)
    {
        int blocks = inDim / 32;
        int o = start;
        for (; o + 2 <= end; o += 2)
        {
            byte* r0 = w + o * rowBytes, r1 = r0 + rowBytes;
            var a0 = Vector512<float>.Zero; var a1 = a0;
            if (t == DType.Q8_0)
            {
                for (int b = 0; b < blocks; b++)
                {
                    var xv = Vector512.Load(xq + b * 32);
                    byte* b0 = r0 + b * 34, b1 = r1 + b * 34;
                    var p0 = Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(b0 + 2))), xv);
                    var p1 = Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(b1 + 2))), xv);
                    float dx = xd[b];
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p0), Vector512.Create(HalfBits.ToSingle(*(ushort*)b0) * dx), a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p1), Vector512.Create(HalfBits.ToSingle(*(ushort*)b1) * dx), a1);
                }
            }
            else
            {
                for (int b = 0; b < blocks; b++)
                {
                    var xv = Vector512.Load(xq + b * 32);
                    byte* b0 = r0 + b * 18, b1 = r1 + b * 18;
                    var p0 = Avx512BW.MultiplyAddAdjacent(Q4Nibbles512(b0 + 2), xv);
                    var p1 = Avx512BW.MultiplyAddAdjacent(Q4Nibbles512(b1 + 2), xv);
                    float dx = xd[b];
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p0), Vector512.Create(HalfBits.ToSingle(*(ushort*)b0) * dx), a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(p1), Vector512.Create(HalfBits.ToSingle(*(ushort*)b1) * dx), a1);
                }
            }
            y[o] = Vector512.Sum(a0);
            y[o + 1] = Vector512.Sum(a1);
        }
        if (o < end) RowsScalar(t, w, rowBytes, xq, xd, y, inDim, o, end);
    }

    // 16 packed bytes → 32 int16 weights (q − 8): low nibbles are elements 0..15, high nibbles 16..31.
    private static Vector512<short> Q4Nibbles512(byte* q)
    {
        var v = Avx2.ConvertToVector256Int16(q);
        var lo = v & Vector256.Create((short)0xF);
        var hi = v >>> 4;
        return Vector512.Create(lo, hi) - Vector512.Create((short)8);
    }

    public static void Rows256(DType t, byte* w, long rowBytes, short* xq, float* xd, float* y, int inDim, int start, int end)
    {
        int blocks = inDim / 32;
        int o = start;
        for (; o + 2 <= end; o += 2)
        {
            byte* r0 = w + o * rowBytes, r1 = r0 + rowBytes;
            var a0 = Vector256<float>.Zero; var a1 = a0;
            int bb = t == DType.Q8_0 ? 34 : 18;
            for (int b = 0; b < blocks; b++)
            {
                var xlo = Vector256.Load(xq + b * 32);
                var xhi = Vector256.Load(xq + b * 32 + 16);
                byte* b0 = r0 + b * bb, b1 = r1 + b * bb;
                Vector256<short> w0lo, w0hi, w1lo, w1hi;
                if (t == DType.Q8_0)
                {
                    w0lo = Avx2.ConvertToVector256Int16((sbyte*)(b0 + 2));
                    w0hi = Avx2.ConvertToVector256Int16((sbyte*)(b0 + 18));
                    w1lo = Avx2.ConvertToVector256Int16((sbyte*)(b1 + 2));
                    w1hi = Avx2.ConvertToVector256Int16((sbyte*)(b1 + 18));
                }
                else
                {
                    var eight = Vector256.Create((short)8);
                    var v0 = Avx2.ConvertToVector256Int16(b0 + 2);
                    var v1 = Avx2.ConvertToVector256Int16(b1 + 2);
                    w0lo = (v0 & Vector256.Create((short)0xF)) - eight;
                    w0hi = (v0 >>> 4) - eight;
                    w1lo = (v1 & Vector256.Create((short)0xF)) - eight;
                    w1hi = (v1 >>> 4) - eight;
                }
                var p0 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0lo, xlo), Avx2.MultiplyAddAdjacent(w0hi, xhi));
                var p1 = Avx2.Add(Avx2.MultiplyAddAdjacent(w1lo, xlo), Avx2.MultiplyAddAdjacent(w1hi, xhi));
                float dx = xd[b];
                a0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(p0), Vector256.Create(HalfBits.ToSingle(*(ushort*)b0) * dx), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(p1), Vector256.Create(HalfBits.ToSingle(*(ushort*)b1) * dx), a1);
            }
            y[o] = Vector256.Sum(a0);
            y[o + 1] = Vector256.Sum(a1);
        }
        if (o < end) RowsScalar(t, w, rowBytes, xq, xd, y, inDim, o, end);
    }

    public static void RowsScalar(DType t, byte* w, long rowBytes, short* xq, float* xd, float* y, int inDim, int start, int end)
    {
        int blocks = inDim / 32;
        for (int o = start; o < end; o++)
        {
            byte* r = w + o * rowBytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++)
            {
                short* xb = xq + b * 32;
                int dot = 0;
                byte* blk;
                if (t == DType.Q8_0)
                {
                    blk = r + b * 34;
                    var q = (sbyte*)(blk + 2);
                    for (int j = 0; j < 32; j++) dot += q[j] * xb[j];
                }
                else
                {
                    blk = r + b * 18;
                    byte* q = blk + 2;
                    for (int j = 0; j < 16; j++)
                        dot += ((q[j] & 0xF) - 8) * xb[j] + ((q[j] >> 4) - 8) * xb[j + 16];
                }
                acc += dot * (HalfBits.ToSingle(*(ushort*)blk) * xd[b]);
            }
            y[o] = acc;
        }
    }
}
