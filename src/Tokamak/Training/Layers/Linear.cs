using System.Numerics.Tensors;

namespace Tokamak.Training.Layers;

/// <summary>
/// Dense layer <c>y = x · Wᵀ + b</c> with <c>W [out, in]</c> row-major (the inference layout) and optional bias.
/// Backward adds into every gradient buffer it is given (llm.c convention), so callers zero them once per step.
/// </summary>
public static class Linear
{
    /// <summary><c>y [n, out] = x [n, in] · Wᵀ + b</c>. Pass an empty <paramref name="bias"/> for none.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int n, int inDim, int outDim)
    {
        CheckBias(bias, outDim);
        Gemm.MatMulTransB(x, weight, y, n, outDim, inDim, accumulate: false);
        if (!bias.IsEmpty)
            for (int t = 0; t < n; t++)
            {
                var row = y.Slice(t * outDim, outDim);
                TensorPrimitives.Add(row, bias, row);
            }
    }

    /// <summary>
    /// Given <c>dy [n, out]</c>: <c>dx [n, in] += dy · W</c>, <c>dW [out, in] += dyᵀ · x</c>, <c>db [out] += Σ_t dy</c>.
    /// Empty spans skip the corresponding gradient (frozen weight, no bias, or an input that needs none).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        Span<float> dx, Span<float> dWeight, Span<float> dBias, int n, int inDim, int outDim)
    {
        if (!dx.IsEmpty)
        {
            // dx = dy [n, out] · (Wᵀ [in, out])ᵀ
            var wt = Gemm.Rent((long)inDim * outDim);
            try
            {
                Gemm.Transpose(weight, wt, outDim, inDim);
                Gemm.MatMulTransB(dy, wt, dx, n, inDim, outDim, accumulate: true);
            }
            finally { Gemm.Return(wt); }
        }
        if (!dWeight.IsEmpty)
        {
            // dW = dyᵀ [out, n] · (xᵀ [in, n])ᵀ
            var dyt = Gemm.Rent((long)outDim * n);
            var xt = Gemm.Rent((long)inDim * n);
            try
            {
                Gemm.Transpose(dy, dyt, n, outDim);
                Gemm.Transpose(x, xt, n, inDim);
                Gemm.MatMulTransB(dyt, xt, dWeight, outDim, inDim, n, accumulate: true);
            }
            finally { Gemm.Return(dyt); Gemm.Return(xt); }
        }
        if (!dBias.IsEmpty)
        {
            CheckBias(dBias, outDim);
            for (int t = 0; t < n; t++) TensorPrimitives.Add(dBias, dy.Slice(t * outDim, outDim), dBias);
        }
    }

    private static void CheckBias(ReadOnlySpan<float> bias, int outDim)
    {
        if (!bias.IsEmpty && bias.Length != outDim) throw new ArgumentException($"linear bias holds {bias.Length} floats, expected {outDim}");
    }
}
