using Tokamak.Quantization;
using Tokamak.Quantization.Calibration;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Architectures;

public sealed partial class LlamaModel
{
    /// <summary>
    /// When set, the input of every linear projection is shown to it during <see cref="Forward"/> (calibration for
    /// GPTQ and SmoothQuant). Null costs one field read per projection group.
    /// </summary>
    public IActivationObserver? Observer { get; set; }

    /// <summary>
    /// When set, every decoder projection (Q, K, V, O, gate, up, down) is offered to it first
    /// (e.g. SmoothQuant's W8A8 int8 GEMM), in <see cref="Forward"/> and <see cref="ForwardPaged"/>; projections it
    /// declines run on <see cref="MatMul"/>.
    /// </summary>
    public ILinearOverride? LinearOverride { get; set; }

    // x [n, w.Cols] → y [n, w.Rows]
    private void Project(Tensor w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        if (LinearOverride is { } o && o.TryForward(w, x, y, n)) return;
        MatMul.Forward(w, x, y, n);
    }
}
