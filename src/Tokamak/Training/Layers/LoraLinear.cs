using Tokamak.Training.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// LoRA adapter over a frozen dense layer: <c>y = x · Wᵀ + b + (α/r) · (dropout(x) · Aᵀ) · Bᵀ</c> with
/// <c>A [r, in]</c>, <c>B [out, r]</c>. Only A and B receive gradients; W and b are frozen. The input gradient
/// covers both the base path and the adapter path (through the dropout mask, regenerated from the seed).
/// </summary>
public static class LoraLinear
{
    /// <summary>
    /// Forward. Saves <c>xDrop [n, in]</c> (the dropped-out input) and <c>h [n, r]</c> (= xDrop · Aᵀ) for backward.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> loraA, ReadOnlySpan<float> loraB, float scale, float dropout, ulong seed,
        Span<float> y, Span<float> xDrop, Span<float> h, int n, int inDim, int outDim, int rank,
        MatMulPrecision precision = MatMulPrecision.F32)
    {
        Check(loraA, loraB, inDim, outDim, rank);
        Linear.Forward(x, weight, bias, y, n, inDim, outDim, precision);
        Dropout.Forward(x[..(n * inDim)], xDrop, dropout, seed);
        TrainGemm.MatMulTransB(xDrop, loraA, h, n, rank, inDim, accumulate: false, precision);
        // y += scale · h · Bᵀ, done as a product into scratch so the base output is not disturbed.
        var tmp = Gemm.Rent((long)n * outDim);
        try
        {
            TrainGemm.MatMulTransB(h, loraB, tmp, n, outDim, rank, accumulate: false, precision);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(tmp.AsSpan(0, n * outDim), scale, y[..(n * outDim)], y);
        }
        finally { Gemm.Return(tmp); }
    }

    /// <summary>
    /// Given <c>dy [n, out]</c>: <c>dA += scale · (dy·B)ᵀ · xDrop</c>, <c>dB += scale · dyᵀ · h</c>,
    /// <c>dx += dy · W + dropoutᵀ(scale · dy · B · A)</c>. An empty <paramref name="dx"/> skips the input gradient.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, ReadOnlySpan<float> loraA, ReadOnlySpan<float> loraB,
        float scale, float dropout, ulong seed, ReadOnlySpan<float> xDrop, ReadOnlySpan<float> h,
        Span<float> dx, Span<float> dA, Span<float> dB, int n, int inDim, int outDim, int rank,
        MatMulPrecision precision = MatMulPrecision.F32)
    {
        Check(loraA, loraB, inDim, outDim, rank);
        var dh = Gemm.Rent((long)n * rank);
        var scaledDy = Gemm.Rent((long)n * outDim);
        try
        {
            var sdy = scaledDy.AsSpan(0, n * outDim);
            System.Numerics.Tensors.TensorPrimitives.Multiply(dy[..(n * outDim)], scale, sdy);
            var dhs = dh.AsSpan(0, n * rank);
            dhs.Clear();
            // The adapter is two linears without bias: h = xDrop·Aᵀ, y_lora = (scale·h)·Bᵀ.
            Linear.Backward(sdy, h, loraB, dhs, dB, [], n, rank, outDim, precision);
            if (dx.IsEmpty)
            {
                Linear.Backward(dhs, xDrop, loraA, [], dA, [], n, inDim, rank, precision);
                return;
            }
            var dxDrop = Gemm.Rent((long)n * inDim);
            try
            {
                var dxd = dxDrop.AsSpan(0, n * inDim);
                dxd.Clear();
                Linear.Backward(dhs, xDrop, loraA, dxd, dA, [], n, inDim, rank, precision);
                Dropout.Backward(dxd, dx, dropout, seed);
            }
            finally { Gemm.Return(dxDrop); }
            Linear.Backward(dy, default, weight, dx, [], [], n, inDim, outDim, precision);
        }
        finally { Gemm.Return(dh); Gemm.Return(scaledDy); }
    }

    private static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int inDim, int outDim, int rank)
    {
        if (rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {rank}");
        if (a.Length != rank * inDim) throw new ArgumentException($"LoRA A holds {a.Length} floats, expected [{rank}, {inDim}]");
        if (b.Length != outDim * rank) throw new ArgumentException($"LoRA B holds {b.Length} floats, expected [{outDim}, {rank}]");
    }
}
