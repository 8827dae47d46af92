using Tokamak.Engine.Sampling;

namespace Tokamak.Data.Synthetic;

/// <summary>
/// The generators' source of randomness: xoshiro256** seeded through SplitMix64, so a seed gives the same corpus on
/// every machine and .NET version (unlike <see cref="Random"/>, whose seeded sequence is not a documented contract).
/// </summary>
public sealed class SyntheticRandom(ulong seed)
{
    private Xoshiro256 _state = new(seed);

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "the range must be non-empty");
        // Multiply-shift (Lemire) without the rejection step: the bias is below 2^-32 for the small ranges used here.
        return (int)(((_state.NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int Between(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => _state.NextDouble() < p;

    /// <summary>A uniformly chosen element.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>A new generator whose stream is independent of this one's, for a sub-task.</summary>
    public SyntheticRandom Fork(ulong salt) => new(_state.NextUInt64() ^ (salt * 0x9E3779B97F4A7C15UL));
}
