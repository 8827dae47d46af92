using Tokamak.Models.Architectures;
using Tokamak.Tensors;

namespace Tokamak.Quantization.Gptq;

/// <summary>A model whose projection weights were rewritten in memory (requantized by GPTQ, or smoothed); owns their buffers.</summary>
public sealed class QuantizedModel : IDisposable
{
    private readonly List<NativeBuffer> _buffers;

    internal QuantizedModel(LlamaModel model, List<NativeBuffer> buffers, IReadOnlySet<Tensor> quantized)
    {
        Model = model;
        _buffers = buffers;
        Quantized = quantized;
    }

    /// <summary>The requantized matrices (for writing them as they are, see <see cref="Quantizer.Write"/>).</summary>
    public IReadOnlySet<Tensor> Quantized { get; }

    /// <summary>The runnable model (embedding, norms and output head shared with the source).</summary>
    public LlamaModel Model { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }
}
