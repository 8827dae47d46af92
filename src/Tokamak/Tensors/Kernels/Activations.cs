using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>The MLP's gating: SwiGLU(gate, up) = SiLU(gate) · up, with SiLU(x) = x · σ(x).</summary>
public static class Activations
{
    /// <summary>gate ← SiLU(gate) · up, elementwise, in one SIMD pass without scratch.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length)
            throw new ArgumentException($"SwiGLU: up holds {up.Length} floats, gate {gate.Length}");
        int n = gate.Length, i = 0;
        ref float g = ref MemoryMarshal.GetReference(gate);
        ref float u = ref MemoryMarshal.GetReference(up);
        if (Vector512.IsHardwareAccelerated && KernelIsa.Active == Isa.Avx512)
        {
            for (; i + 16 <= n; i += 16)
            {
                var gv = Vector512.LoadUnsafe(ref g, (nuint)i);
                var uv = Vector512.LoadUnsafe(ref u, (nuint)i);
                // g·σ(g) = g / (1 + e^−g); for g ≪ 0 e^−g = ∞ and the quotient is −0, as it should be.
                (gv * uv / (Vector512<float>.One + Vector512.Exp(-gv))).StoreUnsafe(ref g, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && KernelIsa.Active != Isa.Scalar)
        {
            for (; i + 8 <= n; i += 8)
            {
                var gv = Vector256.LoadUnsafe(ref g, (nuint)i);
                var uv = Vector256.LoadUnsafe(ref u, (nuint)i);
                (gv * uv / (Vector256<float>.One + Vector256.Exp(-gv))).StoreUnsafe(ref g, (nuint)i);
            }
        }
        for (; i < n; i++) gate[i] = gate[i] * up[i] / (1f + MathF.Exp(-gate[i]));
    }

    /// <summary>Scalar reference for <see cref="SwiGlu"/>.</summary>
    public static void SwiGluScalar(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>y ← y + x, elementwise (the residual connection).</summary>
    public static void Add(Span<float> y, ReadOnlySpan<float> x) => TensorPrimitives.Add(y, x, y);
}
