using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// Rotary embedding on <c>[n, heads · headDim]</c> rows, in place, at per-token positions. The rotation matrix R is
/// orthogonal up to the YaRN attention factor, so backward applies Rᵀ: the same cos and negated sin (rotation by −angle).
/// </summary>
public sealed class RopeLayer
{
    private readonly float[] _cos, _sin, _negSin; // [maxPositions, half]

    /// <summary>Precomputes cos/sin for positions [0, <paramref name="maxPositions"/>) from a <see cref="RopeTable"/>.</summary>
    public RopeLayer(RopeTable table, int maxPositions, RopeStyle style)
    {
        if (maxPositions <= 0) throw new ArgumentException($"max positions must be positive, got {maxPositions}");
        Half = table.RotaryDim / 2;
        MaxPositions = maxPositions;
        Style = style;
        _cos = new float[maxPositions * Half];
        _sin = new float[maxPositions * Half];
        _negSin = new float[maxPositions * Half];
        for (int p = 0; p < maxPositions; p++)
        {
            table.CosSin(p, _cos.AsSpan(p * Half, Half), _sin.AsSpan(p * Half, Half));
            for (int i = 0; i < Half; i++) _negSin[p * Half + i] = -_sin[p * Half + i];
        }
    }

    /// <summary>Rotated dimension pairs per head.</summary>
    public int Half { get; }

    /// <summary>Positions the table covers.</summary>
    public int MaxPositions { get; }

    /// <summary>Pairing convention.</summary>
    public RopeStyle Style { get; }

    /// <summary>Rotates each head of row t by the angles of <c>positions[t]</c>.</summary>
    public void Forward(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim) => Rotate(x, positions, heads, headDim, _sin);

    /// <summary>Turns the gradient w.r.t. the rotated rows into the gradient w.r.t. the unrotated rows (in place).</summary>
    public void Backward(Span<float> dx, ReadOnlySpan<int> positions, int heads, int headDim) => Rotate(dx, positions, heads, headDim, _negSin);

    private void Rotate(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, float[] sin)
    {
        if (2 * Half > headDim) throw new ArgumentException($"rotary dim {2 * Half} exceeds head dim {headDim}");
        int row = heads * headDim;
        for (int t = 0; t < positions.Length; t++)
        {
            int p = positions[t];
            if ((uint)p >= (uint)MaxPositions) throw new ArgumentException($"position {p} at token {t} is outside the RoPE table [0, {MaxPositions})");
            Rope.Apply(x.Slice(t * row, row), heads, headDim, _cos.AsSpan(p * Half, Half), sin.AsSpan(p * Half, Half), Style);
        }
    }
}
