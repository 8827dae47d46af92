namespace Tokamak.Tensors.Kernels;

/// <summary>
/// y = x · Wᵀ for a weight <c>W [out, in]</c> of any dtype and activations <c>x [n, in]</c>, giving
/// <c>y [n, out]</c>. n = 1 is the decode matvec; n &gt; 1 is prefill or a batched step, where every weight row is
/// read once for all n rows of x.
/// </summary>
/// <remarks>
/// Weights are read in their stored format and converted in registers; the output rows are split across
/// <see cref="ComputePool.Shared"/>, and a call allocates nothing once warm. Decode (n = 1) of Q8_0, Q5_0, Q4_K and
/// Q6_K on AVX-512 runs straight from the blocks (<see cref="MatVecBlockKernels"/>); n &gt; 1 on a SIMD path is the
/// register-blocked <see cref="PrefillGemm"/> (weight rows converted to F32 once per cache block).
/// Precision: F32/F16/BF16 and all n &gt; 1 products accumulate the exact weight values against F32 activations
/// in F32. For Q4_0 decode (n = 1, see <see cref="QuantizedDecode"/>) the activations are quantized to 8 bits per
/// block of 32 (F32 scale amax/127, see <see cref="ActivationQ8"/>), the way llama.cpp does it: each x_j moves by
/// at most amax_block/254, so an output moves by at most Σ_blocks amax/254 · Σ|w| (typically ~0.1–0.5 % of
/// Σ|w·x|), on top of the weight quantization itself.
/// </remarks>
public static unsafe class MatMul
{
    /// <summary>
    /// Whether Q8_0/Q4_0 decode uses integer dot products on 8-bit activations (true) or F32 FMA on weights
    /// dequantized in registers (false); null picks the faster one measured on Zen 5 with weights streaming from
    /// DRAM: integer for Q4_0 (~1.5× the FMA path), FMA for Q8_0 (its integer path ran ~2.5× slower there).
    /// </summary>
    internal static bool? QuantizedDecode { get; set; }

    private static bool Int8Decode(DType t) => QuantizedDecode ?? t == DType.Q4_0;

    /// <summary>Optimized, multithreaded entry point.</summary>
    public static void Forward(Tensor w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        Check(w, x, y, n);
        fixed (float* px = x, py = y)
            Forward(w, px, py, n, KernelIsa.Active, ComputePool.Shared);
    }

    internal static void Forward(Tensor w, float* x, float* y, int n, Isa isa, ComputePool pool)
    {
        int inDim = w.Cols, outDim = w.Rows;
        if (n == 0 || outDim == 0) return;
        // Chunks of at least ~64K multiply-adds, so small products stay on the calling thread.
        int grain = Math.Max(4, 65536 / Math.Max(1, inDim * n));
        switch (w.DType)
        {
            case DType.F32: RunFloat<F32Format>(w, x, y, n, isa, pool, grain); break;
            case DType.F16: RunFloat<F16Format>(w, x, y, n, isa, pool, grain); break;
            case DType.BF16: RunFloat<BF16Format>(w, x, y, n, isa, pool, grain); break;
            case DType.Q8_0 or DType.Q4_0 when n == 1 && Int8Decode(w.DType): RunQuantized(w, x, y, isa, pool, grain); break;
            case DType.Q8_0 or DType.Q5_0 or DType.Q4_K or DType.Q6_K
                when n == 1 && isa == Isa.Avx512 && inDim % DTypes.BlockSize(w.DType) == 0:
                RunBlockDecode(w, x, y, pool, grain);
                break;
            case DType.Q8_0: RunFloat<Q8_0Format>(w, x, y, n, isa, pool, grain); break;
            case DType.Q4_0: RunFloat<Q4_0Format>(w, x, y, n, isa, pool, grain); break;
            case DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K:
                Quant.DequantMatMul.Run(w, x, y, n, isa, pool, grain); // GGUF block types: see Tensors/Quant
                break;
            default: throw new NotSupportedException($"{w.Name}: matmul with {w.DType} weights is not supported");
        }
    }

    private static void RunFloat<TW>(Tensor w, float* x, float* y, int n, Isa isa, ComputePool pool, int grain)
        where TW : IWeightFormat
    {
        if (n > 1 && isa != Isa.Scalar)
        {
            RunPrefill<FormatRows<TW>>(w, x, y, n, isa, pool);
            return;
        }
        var job = new FloatJob<TW>
        {
            W = w.Data, RowBytes = w.RowBytes, X = x, Y = y, N = n, In = w.Cols, Out = w.Rows, Isa = isa,
        };
        pool.For(w.Rows, grain, ref job);
    }

    /// <summary>n &gt; 1 on a SIMD path: <see cref="PrefillGemm"/> over activations packed once on this thread.</summary>
    internal static void RunPrefill<TDec>(Tensor w, float* x, float* y, int n, Isa isa, ComputePool pool) where TDec : IRowDecoder
    {
        var job = new PrefillJob<TDec>
        {
            Type = w.DType, W = w.Data, RowBytes = w.RowBytes, Packed = PrefillGemm.PackActivations(x, n, w.Cols, isa),
            Y = y, N = n, In = w.Cols, Out = w.Rows, Isa = isa,
        };
        // Whole 6-row tiles per chunk; ~4 chunks per thread for balance on a shared machine.
        pool.For((w.Rows + PrefillGemm.MR - 1) / PrefillGemm.MR, 1, ref job);
    }

    private struct PrefillJob<TDec> : IRangeJob where TDec : IRowDecoder
    {
        public DType Type;
        public byte* W;
        public long RowBytes;
        public float* Packed, Y;
        public int N, In, Out;
        public Isa Isa;

        public readonly void Execute(int start, int end) =>
            PrefillGemm.Rows<TDec>(Type, W, RowBytes, Packed, Y, N, In, Out, start * PrefillGemm.MR,
                Math.Min(Out, end * PrefillGemm.MR), Isa);
    }

    private static void RunBlockDecode(Tensor w, float* x, float* y, ComputePool pool, int grain)
    {
        var job = new BlockDecodeJob
        {
            Type = w.DType, W = w.Data, RowBytes = w.RowBytes, X = x, Y = y, In = w.Cols,
            XSum = w.DType is DType.Q4_K ? MatVecBlockKernels.BlockSums(x, w.Cols) : null,
        };
        pool.For(w.Rows, grain, ref job);
    }

    private static void RunQuantized(Tensor w, float* x, float* y, Isa isa, ComputePool pool, int grain)
    {
        ActivationQ8.Scratch(w.Cols, out short* xq, out float* xd, out float* xs);
        ActivationQ8.Quantize(x, w.Cols, xq, xd, xs, isa);
        var job = new QuantizedJob
        {
            Type = w.DType, W = w.Data, RowBytes = w.RowBytes, Xq = xq, Xd = xd, Xs = xs, Y = y, In = w.Cols, Isa = isa,
        };
        pool.For(w.Rows, grain, ref job);
    }

    private struct FloatJob<TW> : IRangeJob where TW : IWeightFormat
    {
        public byte* W;
        public long RowBytes;
        public float* X, Y;
        public int N, In, Out;
        public Isa Isa;

        public readonly void Execute(int start, int end)
        {
            if (Isa == Isa.Avx512 && In % TW.VectorMultiple == 0)
                MatMulFloatKernels.Rows512<TW>(W, RowBytes, X, Y, N, In, Out, start, end);
            else if (Isa != Isa.Scalar)
                MatMulFloatKernels.Rows256<TW>(W, RowBytes, X, Y, N, In, Out, start, end);
            else
                MatMulFloatKernels.RowsScalar<TW>(W, RowBytes, X, Y, N, In, Out, start, end);
        }
    }

    private struct BlockDecodeJob : IRangeJob
    {
        public DType Type;
        public byte* W;
        public long RowBytes;
        public float* X, XSum, Y;
        public int In;

        public readonly void Execute(int start, int end) =>
            MatVecBlockKernels.Rows(Type, W, RowBytes, X, XSum, Y, In, start, end);
    }

    private struct QuantizedJob : IRangeJob
    {
        public DType Type;
        public byte* W;
        public long RowBytes;
        public short* Xq;
        public float* Xd, Xs, Y;
        public int In;
        public Isa Isa;

        public readonly void Execute(int start, int end)
        {
            if (Isa == Isa.Avx512) MatMulQ8Kernels.Rows512(Type, W, RowBytes, Xq, Xd, Xs, Y, In, start, end);
            else if (Isa == Isa.Avx2) MatMulQ8Kernels.Rows256(Type, W, RowBytes, Xq, Xd, Y, In, start, end);
            else MatMulQ8Kernels.RowsScalar(Type, W, RowBytes, Xq, Xd, Y, In, start, end);
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
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"{w.Name}: row count n must not be negative, got {n}");
        if (x.Length < (long)n * w.Cols) throw new ArgumentException($"{w.Name}: x holds {x.Length} floats, need {n}×{w.Cols}");
        if (y.Length < (long)n * w.Rows) throw new ArgumentException($"{w.Name}: y holds {y.Length} floats, need {n}×{w.Rows}");
    }
}
