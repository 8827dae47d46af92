namespace Tokamak.Quantization.Calibration;

/// <summary>The activations that feed a decoder layer's linear projections.</summary>
public enum LinearInput
{
    /// <summary>Attention RMSNorm output, feeding Q, K and V. [tokens, hidden]</summary>
    Attention,
    /// <summary>Attention result, feeding the output projection. [tokens, heads * headDim]</summary>
    AttentionOutput,
    /// <summary>MLP RMSNorm output, feeding gate and up. [tokens, hidden]</summary>
    Mlp,
    /// <summary>SiLU(gate) · up, feeding down. [tokens, intermediate]</summary>
    Down,
}

/// <summary>Receives the inputs of every linear projection during <see cref="Models.Architectures.LlamaModel.Forward"/>.</summary>
public interface IActivationObserver
{
    /// <summary><paramref name="x"/> is <c>[rows, x.Length / rows]</c>, row-major; valid only during the call.</summary>
    void Observe(int layer, LinearInput input, ReadOnlySpan<float> x, int rows);
}
