using Tokamak.Models;

namespace Tokamak.Quantization.Calibration;

/// <summary>SmoothQuant's statistic: per layer and input, each input channel's max |x| over all calibration rows.</summary>
public sealed class ChannelMaxCollector : IActivationObserver
{
    private readonly float[][][] _max;

    /// <summary>Collects for every layer of a model shaped like <paramref name="c"/>.</summary>
    public ChannelMaxCollector(ModelConfig c)
    {
        int[] widths = [c.HiddenSize, c.QDim, c.HiddenSize, c.IntermediateSize];
        _max = new float[c.Layers][][];
        for (int l = 0; l < c.Layers; l++) _max[l] = widths.Select(w => new float[w]).ToArray();
    }

    /// <inheritdoc />
    public void Observe(int layer, LinearInput input, ReadOnlySpan<float> x, int rows)
    {
        var m = _max[layer][(int)input];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * m.Length, m.Length);
            for (int i = 0; i < m.Length; i++) m[i] = MathF.Max(m[i], MathF.Abs(row[i]));
        }
    }

    /// <summary>max |x_j| per input channel j. [in]</summary>
    public float[] Max(int layer, LinearInput input) => _max[layer][(int)input];
}
