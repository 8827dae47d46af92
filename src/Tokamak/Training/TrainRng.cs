namespace Tokamak.Training;

/// <summary>
/// SplitMix64 generator whose whole state is one 64-bit word, so checkpoints can store it and a resumed run
/// draws exactly the numbers the uninterrupted run would have.
/// </summary>
public sealed class TrainRng
{
    /// <summary>Seeds the generator.</summary>
    public TrainRng(ulong seed) => State = seed;

    /// <summary>The full generator state (save it; assign it to restore).</summary>
    public ulong State { get; set; }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "upper bound must be positive");
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    /// <summary>Standard normal sample (Box–Muller, one draw per call so the state stays a single word).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
