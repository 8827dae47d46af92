using Tokamak.Tensors;

namespace Tokamak.Quantization;

/// <summary>What a weight matrix is in the model, for picking its type.</summary>
public enum TensorRole
{
    /// <summary>Token embedding (not tied to the output).</summary>
    Embedding,
    /// <summary>Output projection, or the embedding when it doubles as the output.</summary>
    Output,
    /// <summary>Attention value projection.</summary>
    AttnV,
    /// <summary>MLP down projection.</summary>
    FfnDown,
    /// <summary>Any other matrix (Q, K, attention output, gate, up).</summary>
    Other,
}

/// <summary>
/// A quantization recipe: one type for every matrix (<c>f32</c> … <c>q6_k</c>), or a llama.cpp-style mix
/// (<c>q4_k_m</c>, <c>q5_k_m</c>). Vectors (norms, biases) always stay F32.
/// </summary>
/// <remarks>
/// The mixes follow llama.cpp's <c>llama_tensor_get_type</c>: the output matrix (or the tied embedding) gets
/// Q6_K; attn_v and ffn_down of the first and last eighth of the layers and every third layer between get Q6_K;
/// everything else the base type. A matrix whose rows are not a whole number of 256-element super-blocks falls back
/// as llama.cpp does: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, Q2_K/Q3_K → Q4_0 (llama.cpp uses IQ4_NL, which
/// Tokamak does not have); rows not a multiple of 32 fall back to F16.
/// </remarks>
public sealed class QuantRecipe
{
    private QuantRecipe(string name, DType baseType, bool mixed, uint fileType)
    {
        Name = name;
        BaseType = baseType;
        Mixed = mixed;
        FileType = fileType;
    }

    /// <summary>The recipe's name (as parsed).</summary>
    public string Name { get; }

    /// <summary>The type most matrices get.</summary>
    public DType BaseType { get; }

    /// <summary>Whether some matrices get more bits (the _m mixes).</summary>
    public bool Mixed { get; }

    /// <summary>llama.cpp's <c>general.file_type</c> (llama_ftype) for this recipe.</summary>
    public uint FileType { get; }

    /// <summary>Every recipe name <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q4_k_m", "q5_k_m"];

    /// <summary>Parses a recipe name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is not a recipe.</exception>
    public static QuantRecipe Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        return n switch
        {
            "q4_k_m" => new QuantRecipe(n, DType.Q4_K, true, 15),
            "q5_k_m" => new QuantRecipe(n, DType.Q5_K, true, 17),
            _ when Names.Contains(n) => new QuantRecipe(n, DTypes.Parse(n), false, PureFileType(DTypes.Parse(n))),
            _ => throw new ArgumentException($"unknown quantization type '{name}' (expected one of {string.Join(", ", Names)})"),
        };
    }

    private static uint PureFileType(DType t) => t switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.Q4_0 => 2,
        DType.Q4_1 => 3,
        DType.Q8_0 => 7,
        DType.Q5_0 => 8,
        DType.Q5_1 => 9,
        DType.Q2_K => 10,
        DType.Q3_K => 11,
        DType.Q4_K => 14,
        DType.Q5_K => 16,
        DType.Q6_K => 18,
        DType.BF16 => 32,
        _ => throw new NotSupportedException($"no file type for {t}"),
    };

    /// <summary>The type for a matrix of <paramref name="role"/> with rows of <paramref name="cols"/> elements in layer <paramref name="layer"/> of <paramref name="layers"/>.</summary>
    public DType TypeFor(TensorRole role, long cols, int layer, int layers)
    {
        var t = BaseType;
        if (Mixed)
        {
            if (role == TensorRole.Output) t = DType.Q6_K;
            else if (role is TensorRole.AttnV or TensorRole.FfnDown && UseMoreBits(layer, layers)) t = DType.Q6_K;
        }
        return Fallback(t, cols);
    }

    /// <summary>llama.cpp's <c>use_more_bits</c>: the first and last eighth of the layers and every third in between.</summary>
    public static bool UseMoreBits(int i, int n) => i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;

    /// <summary>A type whose block fits rows of <paramref name="cols"/> elements, following llama.cpp's fallbacks.</summary>
    public static DType Fallback(DType t, long cols)
    {
        if (cols % DTypes.BlockSize(t) == 0) return t;
        var f = t switch
        {
            DType.Q4_K => DType.Q5_0,
            DType.Q5_K => DType.Q5_1,
            DType.Q6_K => DType.Q8_0,
            DType.Q2_K or DType.Q3_K => DType.Q4_0,
            _ => DType.F16,
        };
        return cols % DTypes.BlockSize(f) == 0 ? f : DType.F16;
    }
}
