using Tokamak.Tensors;

namespace Tokamak.Quantization;

/// <summary>Runs some of a model's linear projections its own way (see <see cref="Models.Architectures.LlamaModel.LinearOverride"/>).</summary>
public interface ILinearOverride
{
    /// <summary>
    /// Computes y = x·Wᵀ for <paramref name="weight"/> <c>[out, in]</c>, <paramref name="x"/> <c>[rows, in]</c>,
    /// <paramref name="y"/> <c>[rows, out]</c> (both spans may be longer), or returns false to leave it to the default kernel.
    /// </summary>
    bool TryForward(Tensor weight, ReadOnlySpan<float> x, Span<float> y, int rows);
}
