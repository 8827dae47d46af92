using System.Numerics.Tensors;

namespace Tokamak.Training.Layers;

/// <summary>Residual connection <c>out = a + b</c>; its gradient flows unchanged to both inputs.</summary>
public static class Residual
{
    /// <summary><c>output = a + b</c> (output may alias a).</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output) => TensorPrimitives.Add(a, b, output);

    /// <summary><c>dA += dOut</c>, <c>dB += dOut</c>.</summary>
    public static void Backward(ReadOnlySpan<float> dOut, Span<float> dA, Span<float> dB)
    {
        TensorPrimitives.Add(dA, dOut, dA);
        TensorPrimitives.Add(dB, dOut, dB);
    }
}
