using System.Numerics.Tensors;
using Tokamak.Training.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// Dense layer <c>y = x · Wᵀ + b</c> with <c>W [out, in]</c> row-major (the inference layout) and optional bias.
/// Backward adds into every gradient buffer it is given (llm.c convention), so callers zero them once per step.
/// </summary>
public static class Linear
{
    /// <summary><c>y [n, out] = x [n, in] · Wᵀ + b</c>. Pass an empty <paramref name="bias"/> for none; <paramref name="precision"/> is the
    /// format the matmul operands are rounded to (accumulation stays FP32).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int n, int inDim, int outDim,
        MatMulPrecision precision = MatMulPrecision.F32)
    {
        CheckBias(bias, outDim);
        TrainGemm.MatMulTransB(x, weight, y, n, outDim, inDim, accumulate: false, precision);
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
        Span<float> dx, Span<float> dWeight, Span<float> dBias, int n, int inDim, int outDim, MatMulPrecision precision = MatMulPrecision.F32)
    {
        // dx [n, in] += dy [n, out] · W [out, in]
        if (!dx.IsEmpty) TrainGemm.MatMul(dy, weight, dx, n, inDim, outDim, accumulate: true, precision);
        // dW [out, in] += dy [n, out]ᵀ · x [n, in], reduced over tokens
        if (!dWeight.IsEmpty) TrainGemm.MatMulTransA(dy, x, dWeight, outDim, inDim, n, accumulate: true, precision);
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
