namespace Tokamak.Tensors.Kernels;

/// <summary>
/// y = x · Wᵀ for a weight <c>W [out, in]</c> of any dtype and activations <c>x [n, in]</c>, giving
/// <c>y [n, out]</c>. n = 1 is the decode matvec; n &gt; 1 is prefill or a batched step, where every weight row is
/// read once for all n rows of x.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Optimized, multithreaded entry point.</summary>
    public static void Forward(Tensor w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        Check(w, x, y, n);
        int inDim = w.Cols, outDim = w.Rows;
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            ComputePool.Shared.For(outDim, 16, (start, end) =>
            {
                float[] tmp = new float[inDim];
                for (int o = start; o < end; o++)
                {
                    Dequant.Row(w.DType, w.Row(o), tmp);
                    for (int b = 0; b < n; b++)
                    {
                        float s = 0;
                        float* xr = xp + (long)b * inDim;
                        for (int i = 0; i < inDim; i++) s += tmp[i] * xr[i];
                        yp[(long)b * outDim + o] = s;
                    }
                }
            });
        }
    }

    /// <summary>Scalar reference: dequantize each row, dot in double.</summary>
    public static void ForwardScalar(Tensor w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        Check(w, x, y, n);
        int inDim = w.Cols, outDim = w.Rows;
        var tmp = new float[inDim];
        for (int o = 0; o < outDim; o++)
        {
            Dequant.RowScalar(w.DType, w.Row(o), tmp);
            for (int b = 0; b < n; b++)
            {
                double s = 0;
                for (int i = 0; i < inDim; i++) s += (double)tmp[i] * x[b * inDim + i];
                y[b * outDim + o] = (float)s;
            }
        }
    }

    private static void Check(Tensor w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        if (w.Shape.Length != 2) throw new ArgumentException($"{w.Name}: matmul needs a 2-D weight, got {w.ShapeText}");
        if (x.Length < (long)n * w.Cols) throw new ArgumentException($"{w.Name}: x holds {x.Length} floats, need {n}×{w.Cols}");
        if (y.Length < (long)n * w.Rows) throw new ArgumentException($"{w.Name}: y holds {y.Length} floats, need {n}×{w.Rows}");
    }
}
