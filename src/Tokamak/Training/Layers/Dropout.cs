namespace Tokamak.Training.Layers;

/// <summary>
/// Inverted dropout whose mask is a pure function of (seed, element index): no mask is stored, backward regenerates
/// it, and results do not depend on thread scheduling, so a resumed run reproduces the same masks.
/// </summary>
public static class Dropout
{
    /// <summary><c>y[i] = keep(seed, i) ? x[i] / (1 − p) : 0</c>. p = 0 copies.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float p, ulong seed)
    {
        CheckP(p);
        if (p == 0f) { x.CopyTo(y); return; }
        float scale = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++) y[i] = Keep(seed, i, p) ? x[i] * scale : 0f;
    }

    /// <summary><c>dx[i] += keep(seed, i) ? dy[i] / (1 − p) : 0</c>.</summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, float p, ulong seed)
    {
        CheckP(p);
        float scale = p == 0f ? 1f : 1f / (1f - p);
        for (int i = 0; i < dy.Length; i++)
            if (p == 0f || Keep(seed, i, p)) dx[i] += dy[i] * scale;
    }

    /// <summary>True when element <paramref name="index"/> survives: a SplitMix64 hash of (seed, index) mapped to [0, 1) is ≥ p.</summary>
    public static bool Keep(ulong seed, long index, float p)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1.0 / (1UL << 24)) >= p;
    }

    private static void CheckP(float p)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
    }
}
