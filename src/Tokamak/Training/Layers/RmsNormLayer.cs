using System.Numerics.Tensors;

namespace Tokamak.Training.Layers;

/// <summary>
/// RMSNorm over rows: <c>y = x · rstd · w</c>, <c>rstd = 1/√(mean(x²) + eps)</c>. Also serves per-head Q/K norm
/// (rows = tokens · heads, dim = headDim).
/// </summary>
public static class RmsNormLayer
{
    /// <summary><c>y [n, dim]</c> from <c>x [n, dim]</c>; saves <c>rstd [n]</c> for backward.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd, int n, int dim, float eps)
    {
        if (weight.Length != dim) throw new ArgumentException($"rmsnorm weight holds {weight.Length} floats, expected {dim}");
        for (int t = 0; t < n; t++)
        {
            var xr = x.Slice(t * dim, dim);
            var yr = y.Slice(t * dim, dim);
            float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / dim + eps);
            rstd[t] = r;
            TensorPrimitives.Multiply(xr, r, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>
    /// <c>dx += rstd · (dy·w − x̂ · mean(dy·w·x̂))</c> with <c>x̂ = x · rstd</c>, and <c>dw += Σ_rows dy · x̂</c>
    /// (an empty <paramref name="dWeight"/> skips it).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd,
        Span<float> dx, Span<float> dWeight, int n, int dim)
    {
        Span<float> scratch = dim <= 2048 ? stackalloc float[2 * dim] : new float[2 * dim];
        var xhat = scratch[..dim];
        var g = scratch.Slice(dim, dim);
        for (int t = 0; t < n; t++)
        {
            var xr = x.Slice(t * dim, dim);
            var dyr = dy.Slice(t * dim, dim);
            float r = rstd[t];
            TensorPrimitives.Multiply(xr, r, xhat);
            TensorPrimitives.Multiply(dyr, weight, g);
            if (!dWeight.IsEmpty) TensorPrimitives.FusedMultiplyAdd(dyr, xhat, dWeight, dWeight);
            float mean = TensorPrimitives.Dot(g, xhat) / dim;
            // dx += r * (g - xhat * mean)
            var dxr = dx.Slice(t * dim, dim);
            TensorPrimitives.MultiplyAdd(xhat, -mean, g, g);
            TensorPrimitives.MultiplyAdd(g, r, dxr, dxr);
        }
    }
}
