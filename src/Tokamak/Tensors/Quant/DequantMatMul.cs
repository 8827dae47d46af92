using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tensors.Quant;

/// <summary>
/// y = x · Wᵀ for weights stored in a <see cref="BlockCodec"/> type: each weight row is dequantized once into a
/// per-thread scratch row (L1/L2-resident, <c>[in]</c> floats) and dotted with all n activation rows in F32.
/// Rows are split across the <see cref="ComputePool"/>; a warm call allocates nothing.
/// </summary>
internal static unsafe class DequantMatMul
{
    [ThreadStatic] private static float[]? _scratch;

    public static void Run(Tensor w, float* x, float* y, int n, Isa isa, ComputePool pool, int grain)
    {
        if (n > 1 && isa != Isa.Scalar)
        {
            MatMul.RunPrefill<BlockTypeRows>(w, x, y, n, isa, pool);
            return;
        }
        var job = new Job { Type = w.DType, W = w.Data, RowBytes = w.RowBytes, X = x, Y = y, N = n, In = w.Cols, Out = w.Rows, Isa = isa };
        pool.For(w.Rows, grain, ref job);
    }

    private struct Job : IRangeJob
    {
        public DType Type;
        public byte* W;
        public long RowBytes;
        public float* X, Y;
        public int N, In, Out;
        public Isa Isa;

        public readonly void Execute(int start, int end)
        {
            var s = _scratch;
            if (s is null || s.Length < In) _scratch = s = new float[Math.Max(In, 1024)];
            var row = s.AsSpan(0, In);
            for (int o = start; o < end; o++)
            {
                BlockRows.Decode(Type, W + o * RowBytes, row, Isa);
                for (int b = 0; b < N; b++)
                    Y[(long)b * Out + o] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(X + (long)b * In, In));
            }
        }
    }
}
