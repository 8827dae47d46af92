using Tokamak.Tensors;

namespace Tokamak.Quantization.Gptq;

/// <summary>
/// A weight matrix on a <see cref="SymmetricGrid"/>: integer levels <c>[rows, cols]</c> and one F16-exact scale per
/// row and 32-column block <c>[rows, cols / 32]</c>, i.e. exactly what Q4_0/Q8_0 blocks store.
/// </summary>
public sealed unsafe class QuantizedMatrix(SymmetricGrid grid, int rows, int cols, sbyte[] levels, float[] scales)
{
    /// <summary>The grid.</summary>
    public SymmetricGrid Grid { get; } = grid;
    /// <summary>Output rows.</summary>
    public int Rows { get; } = rows;
    /// <summary>Input columns.</summary>
    public int Cols { get; } = cols;
    /// <summary>Integer levels. [rows, cols]</summary>
    public sbyte[] Levels { get; } = levels;
    /// <summary>Block scales. [rows, cols / 32]</summary>
    public float[] Scales { get; } = scales;

    /// <summary>d·q for every element. [rows, cols]</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)Rows * Cols];
        for (long i = 0; i < w.Length; i++) w[i] = Scales[i / 32] * Levels[i];
        return w;
    }

    /// <summary>Packs into GGUF blocks (Q4_0: nibble q+8, low nibbles hold elements 0–15; Q8_0: int8) in <paramref name="buffer"/>.</summary>
    public Tensor ToTensor(string name, NativeBuffer buffer)
    {
        var t = Grid.Storage;
        long bytes = DTypes.ByteCount(t, (long)Rows * Cols);
        if (buffer.ByteLength < bytes) throw new ArgumentException("buffer too small");
        byte* p = buffer.Pointer;
        long blocks = (long)Rows * Cols / 32;
        for (long b = 0; b < blocks; b++)
        {
            var lv = Levels.AsSpan((int)(b * 32), 32);
            if (t == DType.Q8_0)
            {
                byte* blk = p + b * 34;
                *(Half*)blk = (Half)Scales[b];
                for (int j = 0; j < 32; j++) ((sbyte*)(blk + 2))[j] = lv[j];
            }
            else
            {
                byte* blk = p + b * 18;
                *(Half*)blk = (Half)Scales[b];
                for (int j = 0; j < 16; j++) blk[2 + j] = (byte)((lv[j] + 8) | ((lv[j + 16] + 8) << 4));
            }
        }
        return new Tensor(name, t, [Rows, Cols], p);
    }

    /// <summary>Round-to-nearest on the same grid and blocks (the baseline GPTQ must beat).</summary>
    public static QuantizedMatrix RoundToNearest(ReadOnlySpan<float> w, int rows, int cols, SymmetricGrid grid, int groupSize = 32)
    {
        var levels = new sbyte[(long)rows * cols];
        var scales = new float[(long)rows * cols / 32];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < cols; g += groupSize)
            {
                var group = w.Slice(r * cols + g, groupSize);
                float d = grid.Scale(group);
                for (int j = 0; j < groupSize; j++) levels[r * cols + g + j] = (sbyte)grid.Level(group[j], d);
                for (int b = g / 32; b < (g + groupSize) / 32; b++) scales[(r * cols) / 32 + b] = d;
            }
        return new QuantizedMatrix(grid, rows, cols, levels, scales);
    }
}
