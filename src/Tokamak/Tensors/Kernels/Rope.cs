namespace Tokamak.Tensors.Kernels;

/// <summary>How rotary embedding pairs dimensions within a head.</summary>
public enum RopeStyle
{
    /// <summary>Dimensions (2i, 2i+1) rotate together: llama2.c, and GGUF "llama" (whose Q/K rows were permuted for it).</summary>
    Interleaved,
    /// <summary>Dimensions (i, i + d/2) rotate together: Hugging Face <c>rotate_half</c>, GGUF qwen2/qwen3 (NeoX).</summary>
    Neox,
}

/// <summary>rope_scaling from config.json (or GGUF rope.scaling.*).</summary>
public sealed record RopeScaling(
    string Type,
    float Factor,
    float LowFreqFactor = 1f,
    float HighFreqFactor = 4f,
    int OriginalMaxPositions = 8192,
    float BetaFast = 32f,
    float BetaSlow = 1f,
    float? AttentionFactor = null);

/// <summary>
/// Per-dimension inverse frequencies for one model, with rope_scaling applied the way Hugging Face's
/// <c>ROPE_INIT_FUNCTIONS</c> define it (default, linear, llama3, yarn).
/// </summary>
public sealed class RopeTable
{
    private readonly float[] _invFreq; // [rotaryDim / 2]

    /// <summary>Builds the table for heads of <paramref name="rotaryDim"/> rotated dimensions.</summary>
    public RopeTable(int rotaryDim, float theta, RopeScaling? scaling = null)
    {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) throw new ArgumentException($"rotary dim must be even and positive, got {rotaryDim}");
        RotaryDim = rotaryDim;
        int half = rotaryDim / 2;
        _invFreq = new float[half];
        var baseFreq = new double[half];
        for (int i = 0; i < half; i++) baseFreq[i] = 1.0 / Math.Pow(theta, 2.0 * i / rotaryDim);

        string type = scaling?.Type.ToLowerInvariant() ?? "default";
        switch (type)
        {
            case "default" or "none":
                for (int i = 0; i < half; i++) _invFreq[i] = (float)baseFreq[i];
                break;
            case "linear":
                for (int i = 0; i < half; i++) _invFreq[i] = (float)(baseFreq[i] / scaling!.Factor);
                break;
            case "llama3":
                {
                    var s = scaling!;
                    double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor;
                    double highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
                    for (int i = 0; i < half; i++)
                    {
                        double f = baseFreq[i], wavelen = 2 * Math.PI / f;
                        if (wavelen < highWavelen) _invFreq[i] = (float)f;
                        else if (wavelen > lowWavelen) _invFreq[i] = (float)(f / s.Factor);
                        else
                        {
                            double smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                            _invFreq[i] = (float)((1 - smooth) * f / s.Factor + smooth * f);
                        }
                    }
                    break;
                }
            case "yarn":
                {
                    var s = scaling!;
                    double CorrectionDim(double rotations) =>
                        rotaryDim * Math.Log(s.OriginalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
                    double low = Math.Max(Math.Floor(CorrectionDim(s.BetaFast)), 0);
                    double high = Math.Min(Math.Ceiling(CorrectionDim(s.BetaSlow)), rotaryDim - 1);
                    if (low == high) high += 0.001;
                    for (int i = 0; i < half; i++)
                    {
                        double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
                        double extrapolationFactor = 1 - ramp;
                        double interp = baseFreq[i] / s.Factor;
                        _invFreq[i] = (float)(interp * (1 - extrapolationFactor) + baseFreq[i] * extrapolationFactor);
                    }
                    AttentionFactor = s.AttentionFactor ?? (float)(s.Factor <= 1 ? 1.0 : 0.1 * Math.Log(s.Factor) + 1.0);
                    break;
                }
            default:
                throw new NotSupportedException($"rope_scaling type '{scaling!.Type}' is not supported (default, linear, llama3, yarn are)");
        }
    }

    /// <summary>Number of rotated dimensions per head.</summary>
    public int RotaryDim { get; }

    /// <summary>Multiplier on cos/sin (YaRN's attention scaling; 1 otherwise).</summary>
    public float AttentionFactor { get; } = 1f;

    /// <summary>Inverse frequency of pair <paramref name="i"/>.</summary>
    public float InvFreq(int i) => _invFreq[i];

    /// <summary>Fills cos/sin for <paramref name="pos"/>: each span holds <see cref="RotaryDim"/>/2 values.</summary>
    public void CosSin(int pos, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < _invFreq.Length; i++)
        {
            // The angle in double: pos * freq reaches ~1e5 rad at long contexts and float loses the phase.
            double a = pos * (double)_invFreq[i];
            cos[i] = (float)Math.Cos(a) * AttentionFactor;
            sin[i] = (float)Math.Sin(a) * AttentionFactor;
        }
    }
}

/// <summary>Rotary position embedding applied in place to <c>[heads, headDim]</c> vectors.</summary>
public static class Rope
{
    /// <summary>Rotates every head of <paramref name="x"/> by the angles in cos/sin (from <see cref="RopeTable.CosSin"/>).</summary>
    public static void Apply(Span<float> x, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, RopeStyle style)
    {
        int half = cos.Length; // rotaryDim / 2; dims past rotaryDim are left as they are (partial rotary)
        for (int h = 0; h < heads; h++)
        {
            var v = x.Slice(h * headDim, headDim);
            if (style == RopeStyle.Neox)
            {
                int off = half; // pairs (i, i + rotaryDim/2)
                for (int i = 0; i < half; i++)
                {
                    float a = v[i], b = v[i + off];
                    v[i] = a * cos[i] - b * sin[i];
                    v[i + off] = b * cos[i] + a * sin[i];
                }
            }
            else
            {
                for (int i = 0; i < half; i++)
                {
                    float a = v[2 * i], b = v[2 * i + 1];
                    v[2 * i] = a * cos[i] - b * sin[i];
                    v[2 * i + 1] = b * cos[i] + a * sin[i];
                }
            }
        }
    }
}
