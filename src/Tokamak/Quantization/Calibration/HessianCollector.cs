using Tokamak.Models;

namespace Tokamak.Quantization.Calibration;

/// <summary>
/// Accumulates GPTQ's Hessian H = (2/N)·Σ xᵀx over the N input rows of each linear projection of one layer
/// (<c>[in, in]</c>, double). One layer at a time: a 4864-wide MLP input alone needs 190 MB.
/// </summary>
public sealed class HessianCollector : IActivationObserver
{
    private readonly double[]?[] _sum = new double[4][];
    private readonly long[] _rows = new long[4];

    /// <summary>Collects the inputs of layer <paramref name="layer"/> of a model shaped like <paramref name="c"/>.</summary>
    public HessianCollector(ModelConfig c, int layer)
    {
        Layer = layer;
        Widths = [c.HiddenSize, c.QDim, c.HiddenSize, c.IntermediateSize];
    }

    /// <summary>The observed layer.</summary>
    public int Layer { get; }

    private int[] Widths { get; }

    /// <inheritdoc />
    public void Observe(int layer, LinearInput input, ReadOnlySpan<float> x, int rows)
    {
        if (layer != Layer) return;
        int n = Widths[(int)input];
        var h = _sum[(int)input] ??= new double[(long)n * n];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            // Upper triangle only; mirrored in Hessian().
            for (int i = 0; i < n; i++)
            {
                double xi = row[i];
                if (xi == 0) continue;
                int baseIdx = i * n;
                for (int j = i; j < n; j++) h[baseIdx + j] += xi * row[j];
            }
        }
        _rows[(int)input] += rows;
    }

    /// <summary>H for <paramref name="input"/>: (2/N)·XᵀX, symmetric, <c>[in, in]</c>.</summary>
    public double[] Hessian(LinearInput input)
    {
        var s = _sum[(int)input] ?? throw new InvalidOperationException($"no activations were observed for layer {Layer} {input}");
        int n = Widths[(int)input];
        var h = new double[s.Length];
        double scale = 2.0 / _rows[(int)input];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                h[i * n + j] = h[j * n + i] = s[i * n + j] * scale;
        return h;
    }
}
