namespace Tokamak.Training.Layers;

/// <summary>
/// Llama MLP: <c>out = down(SiLU(gate(x)) · up(x))</c> with <c>gate, up [inter, dim]</c> and <c>down [dim, inter]</c>.
/// Forward saves gate, up and h (each <c>[n, inter]</c>) for backward.
/// </summary>
public static class SwiGluMlp
{
    /// <summary>Forward pass; <paramref name="gateAct"/>, <paramref name="upAct"/>, <paramref name="h"/> are the saved activations.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> wGate, ReadOnlySpan<float> wUp, ReadOnlySpan<float> wDown,
        Span<float> output, Span<float> gateAct, Span<float> upAct, Span<float> h, int n, int dim, int inter)
    {
        Linear.Forward(x, wGate, [], gateAct, n, dim, inter);
        Linear.Forward(x, wUp, [], upAct, n, dim, inter);
        SwiGlu.Forward(gateAct[..(n * inter)], upAct, h);
        Linear.Forward(h, wDown, [], output, n, inter, dim);
    }

    /// <summary>
    /// Backward pass adding into <paramref name="dx"/> and the three weight gradients. <paramref name="scratch"/> needs
    /// 3·n·inter floats (dh, dGate, dUp).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dOut, ReadOnlySpan<float> x, ReadOnlySpan<float> wGate, ReadOnlySpan<float> wUp, ReadOnlySpan<float> wDown,
        ReadOnlySpan<float> gateAct, ReadOnlySpan<float> upAct, ReadOnlySpan<float> h,
        Span<float> dx, Span<float> dwGate, Span<float> dwUp, Span<float> dwDown, Span<float> scratch, int n, int dim, int inter)
    {
        int size = n * inter;
        if (scratch.Length < 3 * size) throw new ArgumentException($"MLP backward scratch holds {scratch.Length} floats, needs {3 * size}");
        var dh = scratch[..size];
        var dGate = scratch.Slice(size, size);
        var dUp = scratch.Slice(2 * size, size);
        scratch[..(3 * size)].Clear();
        Linear.Backward(dOut, h, wDown, dh, dwDown, [], n, inter, dim);
        SwiGlu.Backward(dh, gateAct[..size], upAct, dGate, dUp);
        Linear.Backward(dGate, x, wGate, dx, dwGate, [], n, dim, inter);
        Linear.Backward(dUp, x, wUp, dx, dwUp, [], n, dim, inter);
    }
}
