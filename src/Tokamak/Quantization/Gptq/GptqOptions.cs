namespace Tokamak.Quantization.Gptq;

/// <summary>GPTQ settings.</summary>
public sealed record GptqOptions
{
    /// <summary>Bits per weight: 3 or 4 (stored as Q4_0 blocks) or 8 (Q8_0 blocks).</summary>
    public int Bits { get; init; } = 4;
    /// <summary>Columns sharing one scale; a multiple of 32 (GGUF blocks hold 32; larger groups repeat the scale).</summary>
    public int GroupSize { get; init; } = 32;
    /// <summary>Quantize columns in order of decreasing Hessian diagonal (scales stay on the original 32-column blocks).</summary>
    public bool ActOrder { get; init; }
    /// <summary>Dampening added to the diagonal, as a fraction of its mean.</summary>
    public double PercDamp { get; init; } = 0.01;
    /// <summary>Columns per lazy batch update.</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>Throws <see cref="ArgumentException"/> for settings the block layouts cannot hold.</summary>
    public void Validate()
    {
        if (Bits is not (3 or 4 or 8)) throw new ArgumentException($"GPTQ bits must be 3, 4 or 8, got {Bits}");
        if (GroupSize < 32 || GroupSize % 32 != 0) throw new ArgumentException($"GPTQ group size must be a positive multiple of 32 (GGUF block size), got {GroupSize}");
        if (PercDamp <= 0 || PercDamp >= 1) throw new ArgumentException($"dampening must be in (0, 1), got {PercDamp}");
        if (BlockSize < 1) throw new ArgumentException($"block size must be positive, got {BlockSize}");
    }
}
