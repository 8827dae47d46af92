using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Export;

/// <summary>
/// Converts Q/K projection rows between the two RoPE pairings. Hugging Face checkpoints rotate dimension i with
/// i + d/2 (<see cref="RopeStyle.Neox"/>); llama.cpp permutes llama Q/K rows so that 2j, 2j+1 rotate together
/// (<see cref="RopeStyle.Interleaved"/>): interleaved row <c>2j + s</c> of a head is Neox row <c>s · d/2 + j</c>.
/// </summary>
public static class RopeRowOrder
{
    /// <summary>
    /// Reorders the rows of <paramref name="src"/> (<c>[heads · headDim, cols]</c>) from interleaved to Neox order into
    /// <paramref name="dst"/>. Works for biases with <paramref name="cols"/> = 1.
    /// </summary>
    public static void InterleavedToNeox(ReadOnlySpan<float> src, Span<float> dst, int heads, int headDim, int cols)
    {
        if (src.Length != heads * headDim * cols || dst.Length != src.Length) throw new ArgumentException($"Q/K rows: expected [{heads}·{headDim}, {cols}]");
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < half; j++)
                for (int s = 0; s < 2; s++)
                    src.Slice((h * headDim + 2 * j + s) * cols, cols).CopyTo(dst.Slice((h * headDim + s * half + j) * cols, cols));
    }

    /// <summary>The inverse of <see cref="InterleavedToNeox"/>.</summary>
    public static void NeoxToInterleaved(ReadOnlySpan<float> src, Span<float> dst, int heads, int headDim, int cols)
    {
        if (src.Length != heads * headDim * cols || dst.Length != src.Length) throw new ArgumentException($"Q/K rows: expected [{heads}·{headDim}, {cols}]");
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < half; j++)
                for (int s = 0; s < 2; s++)
                    src.Slice((h * headDim + s * half + j) * cols, cols).CopyTo(dst.Slice((h * headDim + 2 * j + s) * cols, cols));
    }

    /// <summary>
    /// Heads whose rows a tensor named <paramref name="name"/> carries in RoPE order (q_proj / k_proj weights, biases
    /// and LoRA B matrices), or 0 when its rows are not rotated.
    /// </summary>
    public static int RotatedHeads(string name, Models.ModelConfig c)
    {
        bool weightOrBias = name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal);
        if (!weightOrBias || name.Contains(".lora_A.", StringComparison.Ordinal)) return 0;
        if (name.Contains("self_attn.q_proj", StringComparison.Ordinal)) return c.Heads;
        if (name.Contains("self_attn.k_proj", StringComparison.Ordinal)) return c.KvHeads;
        return 0;
    }
}
