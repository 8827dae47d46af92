using Tokamak.Models.Architectures;
using Tokamak.Quantization.Calibration;
using Tokamak.Tensors;

namespace Tokamak.Quantization.SmoothQuant;

/// <summary>
/// Runs every decoder projection of a model as an <see cref="Int8Linear"/> (W8A8) through
/// <see cref="LlamaModel.LinearOverride"/>; embedding, norms, attention and the output head stay F32.
/// </summary>
public sealed class W8A8Model : ILinearOverride
{
    private readonly Dictionary<Tensor, Int8Linear> _linears = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Quantizes <paramref name="source"/>'s projections. With <paramref name="outlierThreshold"/> and
    /// <paramref name="stats"/> (maxima collected on <paramref name="source"/>), input channels whose calibration
    /// max |x| exceeds the threshold stay F32 (LLM.int8()'s 6.0 by default there).
    /// </summary>
    public W8A8Model(LlamaModel source, Int8Granularity granularity, ChannelMaxCollector? stats = null, float? outlierThreshold = null)
    {
        if (outlierThreshold is not null && stats is null) throw new ArgumentException("outlier channels need calibration statistics");
        if (outlierThreshold is <= 0) throw new ArgumentException($"outlier threshold must be positive, got {outlierThreshold}");
        for (int l = 0; l < source.Config.Layers; l++)
        {
            var w = source.Weights.Layers[l];
            foreach (var (t, input) in new[] { (w.Wq, LinearInput.Attention), (w.Wk, LinearInput.Attention), (w.Wv, LinearInput.Attention),
                (w.Wo, LinearInput.AttentionOutput), (w.Gate, LinearInput.Mlp), (w.Up, LinearInput.Mlp), (w.Down, LinearInput.Down) })
            {
                int[]? outliers = null;
                if (outlierThreshold is { } th)
                {
                    var m = stats!.Max(l, input);
                    outliers = Enumerable.Range(0, m.Length).Where(j => m[j] > th).ToArray();
                    OutlierChannels += outliers.Length;
                }
                _linears[t] = new Int8Linear(Smoother.Floats(t), t.Rows, t.Cols, granularity, outliers, t.Name);
            }
        }
        Model = new LlamaModel(source.Config, source.Weights) { LinearOverride = this };
    }

    /// <summary>The runnable model (shares <c>source</c>'s weights; projections go through int8).</summary>
    public LlamaModel Model { get; }

    /// <summary>Input channels kept in F32, summed over all projections.</summary>
    public int OutlierChannels { get; }

    /// <inheritdoc />
    public bool TryForward(Tensor weight, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        if (!_linears.TryGetValue(weight, out var q)) return false;
        q.Forward(x, y, rows);
        return true;
    }
}
