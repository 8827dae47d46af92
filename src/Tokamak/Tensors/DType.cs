namespace Tokamak.Tensors;

/// <summary>Element types of stored tensors. Quantized types are block formats laid out as in GGUF.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of an F32.</summary>
    BF16,
    /// <summary>GGUF Q8_0: blocks of 32 int8 values with one F16 scale (34 bytes).</summary>
    Q8_0,
    /// <summary>GGUF Q4_0: blocks of 32 4-bit values (offset 8) with one F16 scale (18 bytes).</summary>
    Q4_0,
}

/// <summary>Block geometry of each <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Number of elements per storage block (1 for plain floats).</summary>
    public static int BlockSize(DType t) => t switch
    {
        DType.F32 or DType.F16 or DType.BF16 => 1,
        DType.Q8_0 or DType.Q4_0 => 32,
        _ => throw new NotSupportedException($"dtype {t}"),
    };

    /// <summary>Bytes per storage block.</summary>
    public static int BlockBytes(DType t) => t switch
    {
        DType.F32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.Q8_0 => 34,
        DType.Q4_0 => 18,
        _ => throw new NotSupportedException($"dtype {t}"),
    };

    /// <summary>Bytes taken by <paramref name="elements"/> elements; must be a whole number of blocks.</summary>
    public static long ByteCount(DType t, long elements)
    {
        int bs = BlockSize(t);
        if (elements % bs != 0)
            throw new InvalidDataException($"{elements} elements is not a whole number of {t} blocks of {bs}");
        return elements / bs * BlockBytes(t);
    }

    /// <summary>Lower-case name used in file formats and the CLI (f32, f16, bf16, q8_0, q4_0).</summary>
    public static string Name(DType t) => t.ToString().ToLowerInvariant();

    /// <summary>Parses a name as written by <see cref="Name"/>.</summary>
    public static DType Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" or "float32" => DType.F32,
        "f16" or "float16" => DType.F16,
        "bf16" or "bfloat16" => DType.BF16,
        "q8_0" => DType.Q8_0,
        "q4_0" => DType.Q4_0,
        _ => throw new ArgumentException($"unknown dtype '{name}' (expected f32, f16, bf16, q8_0 or q4_0)"),
    };
}
