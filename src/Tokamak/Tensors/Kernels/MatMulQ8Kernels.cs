using System.Runtime.CompilerServices;
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
    // Blocks per pass of scale precomputation: 2 × 1 KiB of stack, 8192 weights per row.
    private const int Segment = 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows512(DType t, byte* w, long rowBytes, short* xq, float* xd, float* xs, float* y, int inDim, int start, int end)
    {
        int blocks = inDim / 32;
        bool q4 = t == DType.Q4_0;
        int bb = q4 ? 18 : 34;
        float* s0 = stackalloc float[Segment];
        float* s1 = stackalloc float[Segment];
        // Q4_0 nibble expansion: a 16-byte block broadcast to both halves, then low nibbles for elements 0..15 and
        // high nibbles for 16..31 with one variable shift.
        var nibbleShift = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)4));
        var nibbleMask = Vector512.Create((short)0xF);
        int o = start;
        for (; o + 2 <= end; o += 2)
        {
            byte* r0 = w + o * rowBytes, r1 = r0 + rowBytes;
            var a0 = Vector512<float>.Zero; var a1 = a0; var c0 = a0; var c1 = a0;
            for (int seg = 0; seg < blocks; seg += Segment)
            {
                int segEnd = Math.Min(blocks, seg + Segment);
                c0 += BlockScales(r0, bb, xd, xs, seg, segEnd, s0, q4);
                c1 += BlockScales(r1, bb, xd, xs, seg, segEnd, s1, q4);
                if (q4)
                {
                    for (int b = seg; b < segEnd; b++)
                    {
                        var xv = Vector512.Load(xq + b * 32);
                        var n0 = Avx512BW.ShiftRightLogicalVariable(
                            Avx512BW.ConvertToVector512Int16(Avx2.BroadcastVector128ToVector256(r0 + b * 18 + 2)), nibbleShift) & nibbleMask;
                        var n1 = Avx512BW.ShiftRightLogicalVariable(
                            Avx512BW.ConvertToVector512Int16(Avx2.BroadcastVector128ToVector256(r1 + b * 18 + 2)), nibbleShift) & nibbleMask;
                        a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(n0, xv)), Vector512.Create(s0[b - seg]), a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(n1, xv)), Vector512.Create(s1[b - seg]), a1);
                    }
                }
                else
                {
                    for (int b = seg; b < segEnd; b++)
                    {
                        var xv = Vector512.Load(xq + b * 32);
                        // Two 16-byte halves: a 32-byte load at the 34-byte stride splits a cache line every other block.
                        byte* p0 = r0 + b * 34 + 2, p1 = r1 + b * 34 + 2;
                        var q0 = Vector512.Create(Avx2.ConvertToVector256Int16((sbyte*)p0), Avx2.ConvertToVector256Int16((sbyte*)p0 + 16));
                        var q1 = Vector512.Create(Avx2.ConvertToVector256Int16((sbyte*)p1), Avx2.ConvertToVector256Int16((sbyte*)p1 + 16));
                        a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(q0, xv)), Vector512.Create(s0[b - seg]), a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(q1, xv)), Vector512.Create(s1[b - seg]), a1);
                    }
                }
            }
            y[o] = Vector512.Sum(a0) + Vector512.Sum(c0);
            y[o + 1] = Vector512.Sum(a1) + Vector512.Sum(c1);
        }
        if (o < end) RowsScalar(t, w, rowBytes, xq, xd, y, inDim, o, end);
    }

    /// <summary>
    /// s[b − from] = d_w[b] · d_x[b] for blocks [from, to) of one row, 16 at a time (gathered F16 scales converted
    /// in registers). For Q4_0 also returns the nibble-offset term Σ_b d_w[b] · offsetSum[b] as 16 partial sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockScales(byte* row, int bb, float* xd, float* xs, int from, int to, float* s, bool q4)
    {
        var bias = Vector512<float>.Zero;
        var offsets = Vector256<int>.Indices * bb;
        int b = from;
        for (; b + 16 <= to; b += 16)
        {
            // Each gathered dword is a block's f16 scale plus its first two quant bytes (never past the block).
            var lo = Avx2.GatherVector256((int*)(row + b * bb), offsets, 1);
            var hi = Avx2.GatherVector256((int*)(row + (b + 8) * bb), offsets, 1);
            var dw = HalfBits.ToSingle((Vector512.Create(lo, hi) << 16) >> 16);
            (dw * Vector512.Load(xd + b)).Store(s + (b - from));
            if (q4) bias = Vector512.FusedMultiplyAdd(dw, Vector512.Load(xs + b), bias);
        }
        float tail = 0;
        for (; b < to; b++)
        {
            float dw = HalfBits.ToSingle(*(ushort*)(row + b * bb));
            s[b - from] = dw * xd[b];
            if (q4) tail += dw * xs[b];
        }
        return bias + Vector512.CreateScalar(tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
