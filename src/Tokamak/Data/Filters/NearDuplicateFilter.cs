namespace Tokamak.Data.Filters;

/// <summary>
/// Drops an example whose MinHash-estimated Jaccard similarity (word-shingle sets) to an earlier kept example is at
/// least <see cref="Threshold"/>. LSH banding proposes candidates; each is verified by the signature estimate.
/// </summary>
public sealed class NearDuplicateFilter : IExampleFilter
{
    private readonly MinHasher _hasher;
    private readonly LshIndex _index;
    private readonly List<ulong[]> _kept = [];

    /// <summary>Similarity at or above which an example counts as a near duplicate.</summary>
    public double Threshold { get; }

    /// <inheritdoc />
    public string Name => "near_dedup";

    /// <summary>Creates the filter; defaults are 128 permutations over word 5-grams.</summary>
    public NearDuplicateFilter(double threshold = 0.8, int permutations = 128, int shingleSize = 5)
    {
        Threshold = threshold;
        _hasher = new MinHasher(permutations, shingleSize);
        _index = LshIndex.ForThreshold(permutations, threshold);
    }

    /// <inheritdoc />
    public string? Check(UnifiedExample example)
    {
        var text = ExampleText.Flatten(example);
        var shingles = MinHasher.Shingles(text, _hasher.ShingleSize).ToList();
        if (shingles.Count == 0) return null; // no words: nothing to compare
        var sig = _hasher.Signature(shingles);
        foreach (var id in _index.Candidates(sig))
            if (MinHasher.EstimateJaccard(sig, _kept[id]) >= Threshold) return DropReasons.NearDuplicate;
        _index.Add(_kept.Count, sig);
        _kept.Add(sig);
        return null;
    }
}
