namespace Tokamak.Training.Layers;

/// <summary>The MLP gating <c>h = SiLU(gate) · up</c>, SiLU(x) = x · σ(x), elementwise.</summary>
public static class SwiGlu
{
    /// <summary><c>h = SiLU(gate) · up</c>.</summary>
    public static void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> h)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            h[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary><c>dGate += dh · up · σ(g)(1 + g(1 − σ(g)))</c>, <c>dUp += dh · SiLU(g)</c>.</summary>
    public static void Backward(ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> dGate, Span<float> dUp)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i], s = 1f / (1f + MathF.Exp(-g));
            dGate[i] += dh[i] * up[i] * s * (1f + g * (1f - s));
            dUp[i] += dh[i] * g * s;
        }
    }
}
