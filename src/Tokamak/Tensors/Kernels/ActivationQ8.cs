using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Activations quantized for integer dot products against Q8_0/Q4_0 weights: blocks of 32 with one F32 scale
/// d = amax/127 and q = round-to-even(x / d) in [−127, 127], stored widened to int16 so that <c>vpmaddwd</c>
/// multiplies them directly (.NET 10 exposes no AVX-512 VNNI on this CPU). Every path produces bit-identical
/// values, so the integer kernels differ from their scalar reference only in float summation order.
/// </summary>
internal static unsafe class ActivationQ8
{
    [ThreadStatic] private static short[]? _q;
    [ThreadStatic] private static float[]? _d;
    [ThreadStatic] private static float[]? _s;

    /// <summary>
    /// Thread-local scratch for <paramref name="elements"/> quantized values and their block scales; grows once, then
    /// is reused (the arrays are pinned, so the pointers stay valid while a job uses them).
    /// </summary>
    public static void Scratch(int elements, out short* q, out float* d, out float* offsetSum)
    {
        if (_q == null || _q.Length < elements)
        {
            _q = GC.AllocateUninitializedArray<short>(elements, pinned: true);
            _d = GC.AllocateUninitializedArray<float>(elements / 32 + 1, pinned: true);
            _s = GC.AllocateUninitializedArray<float>(elements / 32 + 1, pinned: true);
        }
        q = (short*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_q));
        d = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_d!));
        offsetSum = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_s!));
    }

    /// <summary>
    /// Quantizes <paramref name="count"/> (a multiple of 32) floats into q and per-block scales d, and stores
    /// offsetSum[b] = −8 · d[b] · Σ_j q[b, j]: the term Q4_0's nibble offset contributes, so Q4_0 kernels can
    /// multiply raw nibbles and add d_w · offsetSum[b] per block instead of subtracting 8 from every weight.
    /// </summary>
    public static void Quantize(float* x, int count, short* q, float* d, float* offsetSum, Isa isa)
    {
        Quantize(x, count, q, d, isa);
        for (int blk = 0; blk < count / 32; blk++)
        {
            short* qb = q + blk * 32;
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += qb[j];
            offsetSum[blk] = -8f * d[blk] * sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Quantize(float* x, int count, short* q, float* d, Isa isa)
    {
        for (int blk = 0; blk < count / 32; blk++)
        {
            float* xb = x + blk * 32;
            short* qb = q + blk * 32;
            if (isa == Isa.Avx512)
            {
                var v0 = Vector512.Load(xb);
                var v1 = Vector512.Load(xb + 16);
                var m = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1));
                var m2 = Vector256.Max(m.GetLower(), m.GetUpper());
                var m4 = Vector128.Max(m2.GetLower(), m2.GetUpper());
                float amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
                float scale = amax / 127f;
                var id = Vector512.Create(scale != 0 ? 1f / scale : 0f);
                var i0 = Vector512.ConvertToInt32(Vector512.Round(v0 * id));
                var i1 = Vector512.ConvertToInt32(Vector512.Round(v1 * id));
                Vector512.Narrow(i0, i1).Store(qb);
                d[blk] = scale;
            }
            else if (isa == Isa.Avx2)
            {
                var v0 = Vector256.Load(xb);
                var v1 = Vector256.Load(xb + 8);
                var v2 = Vector256.Load(xb + 16);
                var v3 = Vector256.Load(xb + 24);
                var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)),
                                      Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
                var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
                float amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
                float scale = amax / 127f;
                var id = Vector256.Create(scale != 0 ? 1f / scale : 0f);
                Vector256.Narrow(Vector256.ConvertToInt32(Vector256.Round(v0 * id)),
                                 Vector256.ConvertToInt32(Vector256.Round(v1 * id))).Store(qb);
                Vector256.Narrow(Vector256.ConvertToInt32(Vector256.Round(v2 * id)),
                                 Vector256.ConvertToInt32(Vector256.Round(v3 * id))).Store(qb + 16);
                d[blk] = scale;
            }
            else
            {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(xb[j]));
                float scale = amax / 127f;
                float id = scale != 0 ? 1f / scale : 0f;
                for (int j = 0; j < 32; j++) qb[j] = (short)MathF.Round(xb[j] * id);
                d[blk] = scale;
            }
        }
    }
}
