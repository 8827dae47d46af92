namespace Tokamak.Data.Filters;

/// <summary>
/// Locality-sensitive hashing over MinHash signatures: the signature is cut into <see cref="Bands"/> bands of
/// <see cref="Rows"/> rows; two items become candidates when any band matches exactly. The chance that a pair with
/// Jaccard J is a candidate is 1 − (1 − J^rows)^bands.
/// </summary>
public sealed class LshIndex
{
    private readonly Dictionary<(int Band, ulong Key), List<int>> _buckets = [];

    /// <summary>Number of bands.</summary>
    public int Bands { get; }

    /// <summary>Signature positions per band.</summary>
    public int Rows { get; }

    /// <summary>Creates an index for signatures of length bands × rows.</summary>
    public LshIndex(int bands, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bands, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Bands = bands;
        Rows = rows;
    }

    /// <summary>
    /// Picks rows per band (a divisor of <paramref name="permutations"/>) with the largest S-curve midpoint
    /// (1/bands)^(1/rows) still at least 0.05 below <paramref name="threshold"/>, so pairs at the threshold are found with high probability.
    /// </summary>
    public static LshIndex ForThreshold(int permutations, double threshold)
    {
        if (threshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "Jaccard threshold must be in (0, 1]");
        int bestRows = 1;
        for (int rows = 1; rows <= permutations; rows++)
        {
            if (permutations % rows != 0) continue;
            double mid = Math.Pow(1.0 / (permutations / rows), 1.0 / rows);
            if (mid <= threshold - 0.05) bestRows = rows;
        }
        return new LshIndex(permutations / bestRows, bestRows);
    }

    /// <summary>Ids of earlier items sharing at least one band with <paramref name="signature"/>.</summary>
    public HashSet<int> Candidates(ReadOnlySpan<ulong> signature)
    {
        Check(signature);
        var result = new HashSet<int>();
        for (int b = 0; b < Bands; b++)
            if (_buckets.TryGetValue((b, BandKey(signature, b)), out var ids)) result.UnionWith(ids);
        return result;
    }

    /// <summary>Indexes <paramref name="signature"/> under <paramref name="id"/>.</summary>
    public void Add(int id, ReadOnlySpan<ulong> signature)
    {
        Check(signature);
        for (int b = 0; b < Bands; b++)
        {
            var key = (b, BandKey(signature, b));
            if (!_buckets.TryGetValue(key, out var ids)) _buckets[key] = ids = [];
            ids.Add(id);
        }
    }

    private ulong BandKey(ReadOnlySpan<ulong> sig, int band)
    {
        ulong h = 0x243F6A8885A308D3UL;
        foreach (var v in sig.Slice(band * Rows, Rows)) h = StableHash.Mix(h ^ v);
        return h;
    }

    private void Check(ReadOnlySpan<ulong> sig)
    {
        if (sig.Length != Bands * Rows) throw new ArgumentException($"signature length {sig.Length} does not match {Bands} bands × {Rows} rows");
    }
}
