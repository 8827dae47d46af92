using Tokamak.Tensors;

namespace Tokamak.Quantization.Gptq;

/// <summary>
/// The symmetric integer grids GPTQ rounds to, matching GGUF's decoders so results run on the Q4_0/Q8_0 kernels:
/// value = d·q with d stored as F16. 4-bit: q ∈ [−8, 7], d = m/−8 where m is the group's element of largest
/// magnitude (ggml's Q4_0 rule, so m lands exactly on −8·d). 3-bit: q ∈ [−4, 3], d = m/−4, stored in Q4_0
/// blocks (no 3-bit kernel: memory is that of 4-bit). 8-bit: q ∈ [−127, 127], d = amax/127 (Q8_0).
/// </summary>
public readonly struct SymmetricGrid
{
    /// <summary>The grid for <paramref name="bits"/> bits.</summary>
    public SymmetricGrid(int bits)
    {
        Bits = bits;
        (Min, Max, Divisor) = bits switch
        {
            3 => (-4, 3, -4f),
            4 => (-8, 7, -8f),
            8 => (-127, 127, 127f),
            _ => throw new ArgumentException($"no grid for {bits} bits"),
        };
    }

    /// <summary>Bits per weight.</summary>
    public int Bits { get; }
    /// <summary>Smallest integer level.</summary>
    public int Min { get; }
    /// <summary>Largest integer level.</summary>
    public int Max { get; }
    private float Divisor { get; }

    /// <summary>The block type results are stored in.</summary>
    public DType Storage => Bits == 8 ? DType.Q8_0 : DType.Q4_0;

    /// <summary>F16-rounded scale for a group of values.</summary>
    public float Scale(ReadOnlySpan<float> group)
    {
        float amax = 0, m = 0;
        foreach (float v in group)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); m = v; }
        return (float)(Half)((Bits == 8 ? amax : m) / Divisor);
    }

    /// <summary>Nearest level for <paramref name="x"/> at scale <paramref name="d"/>.</summary>
    public int Level(float x, float d) => d == 0 ? 0 : (int)Math.Clamp(MathF.Round(x / d, MidpointRounding.AwayFromZero), Min, Max);
}
