using Tokamak.Data.Filters;

namespace Tokamak.Data.Synthetic;

/// <summary>
/// Decides which texts belong to the held-out evaluation split: a text is held out when a stable hash of its exact
/// characters falls below the fraction. The decision depends on the text alone — not on the seed or on what else was
/// generated — so no corpus, whatever its seed or size, ever trains on a held-out question or story.
/// </summary>
public static class HeldOutSplit
{
    /// <summary>The default share of distinct texts held out.</summary>
    public const double DefaultFraction = 0.15;

    // Salt so the split is not correlated with other uses of StableHash (deduplication) in the data pipeline.
    private const ulong Salt = 0x7A3C_5E11_D00D_F00DUL;

    /// <summary>Whether <paramref name="text"/> is in the held-out split for <paramref name="fraction"/> ∈ [0, 1].</summary>
    public static bool IsHeldOut(string text, double fraction = DefaultFraction)
    {
        if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the held-out fraction must be in [0, 1]");
        ulong h = StableHash.Of(text, StableHash.Mix(Salt));
        return (h >> 11) * (1.0 / (1UL << 53)) < fraction;
    }
}
