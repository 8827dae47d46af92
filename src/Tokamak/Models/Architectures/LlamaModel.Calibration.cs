using Tokamak.Quantization.Calibration;

namespace Tokamak.Models.Architectures;

public sealed partial class LlamaModel
{
    /// <summary>
    /// When set, the input of every linear projection is shown to it during <see cref="Forward"/> (calibration for
    /// GPTQ and SmoothQuant). Null costs one field read per projection group.
    /// </summary>
    public IActivationObserver? Observer { get; set; }
}
