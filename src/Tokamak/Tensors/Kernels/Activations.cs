using System.Numerics.Tensors;

namespace Tokamak.Tensors.Kernels;

/// <summary>The MLP's gating: SwiGLU(gate, up) = SiLU(gate) · up, with SiLU(x) = x · σ(x).</summary>
public static class Activations
{
    /// <summary>gate ← SiLU(gate) · up, elementwise.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        // SiLU(x) = x * sigmoid(x); TensorPrimitives has Sigmoid, the products are two more vector passes.
        Span<float> tmp = gate.Length <= 4096 ? stackalloc float[gate.Length] : new float[gate.Length];
        TensorPrimitives.Sigmoid(gate, tmp);
        TensorPrimitives.Multiply(gate, tmp, gate);
        TensorPrimitives.Multiply(gate, up, gate);
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
