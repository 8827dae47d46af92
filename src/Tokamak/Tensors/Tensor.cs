namespace Tokamak.Tensors;

/// <summary>
/// A named, read-only weight tensor: a dtype, a shape and a pointer to its bytes. Shapes are outermost first, so a
/// linear layer's weight is <c>[out, in]</c> with each row of <c>in</c> elements contiguous (HF, GGUF and llama2.c
/// all store it this way). The memory belongs to whoever made the tensor (a <see cref="MappedFile"/> or a
/// <see cref="NativeBuffer"/>); a tensor is only a view.
/// </summary>
public sealed unsafe class Tensor
{
    /// <summary>Creates a view over existing memory.</summary>
    public Tensor(string name, DType dtype, long[] shape, byte* data)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
        long n = 1;
        foreach (long d in shape) n *= d;
        ElementCount = n;
        ByteLength = DTypes.ByteCount(dtype, n);
    }

    /// <summary>Name as stored in the file.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>First byte of the data.</summary>
    public byte* Data { get; }

    /// <summary>Total number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Total bytes of data.</summary>
    public long ByteLength { get; }

    /// <summary>Rows when viewed as a matrix <c>[rows, cols]</c> (all dims but the last).</summary>
    public int Rows => checked((int)(ElementCount / Cols));

    /// <summary>Columns: the innermost dimension.</summary>
    public int Cols => checked((int)Shape[^1]);

    /// <summary>Bytes of one row of <see cref="Cols"/> elements.</summary>
    public long RowBytes => DTypes.ByteCount(DType, Cols);

    /// <summary>Pointer to row <paramref name="r"/>.</summary>
    public byte* Row(int r) => Data + r * RowBytes;

    /// <summary>Shape as text, e.g. <c>[2048, 128]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <inheritdoc />
    public override string ToString() => $"{Name} {DTypes.Name(DType)} {ShapeText}";
}
