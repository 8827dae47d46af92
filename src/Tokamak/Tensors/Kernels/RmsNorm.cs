using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tokamak.Tensors.Kernels;

/// <summary>y = x / sqrt(mean(x²) + eps) · weight, per row of <c>dim</c> elements.</summary>
public static class RmsNorm
{
    /// <summary>Normalizes each of the <c>x.Length / weight.Length</c> rows of x into y (x and y may alias).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        int dim = weight.Length;
        if (dim == 0 || x.Length % dim != 0 || y.Length < x.Length)
            throw new ArgumentException($"RMSNorm: x holds {x.Length} floats, not whole rows of {dim} (y holds {y.Length})");
        for (int r = 0; r < x.Length / dim; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float ss = TensorPrimitives.Dot(xr, xr);
            float scale = 1f / MathF.Sqrt(ss / dim + eps);
            ScaleMultiply(xr, weight, scale, yr);
        }
    }

    // y = x · s · w in one pass (x and y may be the same memory).
    private static void ScaleMultiply(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float s, Span<float> y)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && KernelIsa.Active == Isa.Avx512)
        {
            var sv = Vector512.Create(s);
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref xr, (nuint)i) * sv * Vector512.LoadUnsafe(ref wr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated && KernelIsa.Active != Isa.Scalar)
        {
            var sv = Vector256.Create(s);
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref xr, (nuint)i) * sv * Vector256.LoadUnsafe(ref wr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) y[i] = x[i] * s * w[i];
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
