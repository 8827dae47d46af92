using System.Numerics.Tensors;

namespace Tokamak.Tensors.Kernels;

/// <summary>y = x / sqrt(mean(x²) + eps) · weight, per row of <c>dim</c> elements.</summary>
public static class RmsNorm
{
    /// <summary>Normalizes each of the <c>x.Length / weight.Length</c> rows of x into y (x and y may alias).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        int dim = weight.Length;
        for (int r = 0; r < x.Length / dim; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float ss = TensorPrimitives.Dot(xr, xr);
            float scale = 1f / MathF.Sqrt(ss / dim + eps);
            TensorPrimitives.Multiply(xr, scale, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>Scalar reference for <see cref="Forward"/>, accumulating in double.</summary>
    public static void ForwardScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        int dim = weight.Length;
        for (int r = 0; r < x.Length / dim; r++)
        {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double)x[r * dim + i] * x[r * dim + i];
            float scale = (float)(1.0 / Math.Sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * weight[i];
        }
    }
}
