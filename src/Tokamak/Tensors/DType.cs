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
    /// <summary>GGUF Q4_1: blocks of 32 4-bit values with an F16 scale and an F16 minimum (20 bytes).</summary>
    Q4_1,
    /// <summary>GGUF Q5_0: blocks of 32 5-bit values (offset 16) with one F16 scale (22 bytes).</summary>
    Q5_0,
    /// <summary>GGUF Q5_1: blocks of 32 5-bit values with an F16 scale and an F16 minimum (24 bytes).</summary>
    Q5_1,
    /// <summary>GGUF Q2_K: super-blocks of 256 2-bit values, 16 sub-blocks with 4-bit scales and mins (84 bytes).</summary>
    Q2_K,
    /// <summary>GGUF Q3_K: super-blocks of 256 3-bit values, 16 sub-blocks with signed 6-bit scales (110 bytes).</summary>
    Q3_K,
    /// <summary>GGUF Q4_K: super-blocks of 256 4-bit values, 8 sub-blocks with 6-bit scales and mins (144 bytes).</summary>
    Q4_K,
    /// <summary>GGUF Q5_K: super-blocks of 256 5-bit values, 8 sub-blocks with 6-bit scales and mins (176 bytes).</summary>
    Q5_K,
    /// <summary>GGUF Q6_K: super-blocks of 256 6-bit values (offset 32), 16 sub-blocks with int8 scales (210 bytes).</summary>
    Q6_K,
}

/// <summary>Block geometry of each <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Every dtype, in declaration order.</summary>
    public static IReadOnlyList<DType> All { get; } = Enum.GetValues<DType>();

    /// <summary>Number of elements per storage block (1 for plain floats).</summary>
    public static int BlockSize(DType t) => t switch
    {
        DType.F32 or DType.F16 or DType.BF16 => 1,
        DType.Q8_0 or DType.Q4_0 or DType.Q4_1 or DType.Q5_0 or DType.Q5_1 => 32,
        DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K => 256,
        _ => throw new NotSupportedException($"dtype {t}"),
    };

    /// <summary>Bytes per storage block.</summary>
    public static int BlockBytes(DType t) => t switch
    {
        DType.F32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.Q8_0 => 34,
        DType.Q4_0 => 18,
        DType.Q4_1 => 20,
        DType.Q5_0 => 22,
        DType.Q5_1 => 24,
        DType.Q2_K => 84,
        DType.Q3_K => 110,
        DType.Q4_K => 144,
        DType.Q5_K => 176,
        DType.Q6_K => 210,
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

    /// <summary>Lower-case name used in file formats and the CLI (f32, f16, bf16, q8_0, q4_0, q4_k, …).</summary>
    public static string Name(DType t) => t.ToString().ToLowerInvariant();

    /// <summary>Parses a name as written by <see cref="Name"/> (case-insensitive).</summary>
    public static DType Parse(string name) => TryParse(name, out var t) ? t
        : throw new ArgumentException($"unknown dtype '{name}' (expected one of {string.Join(", ", All.Select(Name))})");

    /// <summary>Parses a name as written by <see cref="Name"/>; false when it names no dtype.</summary>
    public static bool TryParse(string name, out DType t)
    {
        string n = name.ToLowerInvariant();
        t = n switch { "float32" => DType.F32, "float16" => DType.F16, "bfloat16" => DType.BF16, _ => default };
        if (n is "float32" or "float16" or "bfloat16") return true;
        foreach (var d in All)
        {
            if (Name(d) != n) continue;
            t = d;
            return true;
        }
        return false;
    }
}
