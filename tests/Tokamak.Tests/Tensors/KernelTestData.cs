using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

/// <summary>Random inputs and weight tensors of any dtype for kernel tests.</summary>
internal static unsafe class KernelTestData
{
    public static float[] Floats(int seed, int count, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>A [rows, cols] tensor of <paramref name="t"/> built with <see cref="Quantize.Row"/> from random values.</summary>
    public static OwnedTensor Weight(DType t, int rows, int cols, int seed)
    {
        var values = Floats(seed, rows * cols);
        // Vary the row magnitude so per-block scales differ.
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) values[r * cols + c] *= 0.25f + (r % 7) * 0.5f;
        long rowBytes = DTypes.ByteCount(t, cols);
        var buf = new NativeBuffer(rowBytes * rows);
        for (int r = 0; r < rows; r++) Quantize.Row(t, values.AsSpan(r * cols, cols), buf.Pointer + r * rowBytes);
        return new OwnedTensor(new Tensor($"w_{t}_{rows}x{cols}", t, [rows, cols], buf.Pointer), buf);
    }

    /// <summary>Row r of a weight dequantized with the scalar reference.</summary>
    public static float[] DequantRow(Tensor w, int r)
    {
        var row = new float[w.Cols];
        Dequant.RowScalar(w.DType, w.Row(r), row);
        return row;
    }
}

/// <summary>A tensor together with the buffer that holds its bytes.</summary>
internal sealed class OwnedTensor(Tensor tensor, NativeBuffer buffer) : IDisposable
{
    public Tensor Tensor { get; } = tensor;

    public void Dispose() => buffer.Dispose();
}
