namespace Tokamak.Data.Filters;

/// <summary>Switches for the quality filters; <see cref="Build"/> turns them into filter instances in a sensible order.</summary>
public sealed record QualityOptions
{
    /// <summary>Exact dedup on the normalized text.</summary>
    public bool ExactDedup { get; init; } = true;
    /// <summary>MinHash near-dedup Jaccard threshold, or null to disable.</summary>
    public double? NearDuplicateThreshold { get; init; } = 0.8;
    /// <summary>MinHash signature length.</summary>
    public int MinHashPermutations { get; init; } = 128;
    /// <summary>Words per shingle for near-dedup.</summary>
    public int ShingleSize { get; init; } = 5;
    /// <summary>Length limits, or null to disable.</summary>
    public LengthFilter? Length { get; init; }
    /// <summary>Allowed scripts for the charset filter, or null to disable.</summary>
    public Script? AllowedScripts { get; init; }
    /// <summary>Minimum fraction of letters in <see cref="AllowedScripts"/>.</summary>
    public double MinScriptRatio { get; init; } = 0.8;
    /// <summary>Maximum repeated word-trigram ratio, or null to disable.</summary>
    public double? MaxRepeatedNgramRatio { get; init; }
    /// <summary>Cross-document boilerplate detection settings, or null to disable.</summary>
    public BoilerplateFilter? Boilerplate { get; init; }
    /// <summary>Perplexity scorer, or null to disable the perplexity filter.</summary>
    public IPerplexityScorer? PerplexityScorer { get; init; }
    /// <summary>Percentile above which perplexity drops.</summary>
    public double PerplexityPercentile { get; init; } = 90;
    /// <summary>Quality classifier, or null to disable.</summary>
    public IQualityScorer? QualityScorer { get; init; }
    /// <summary>Lowest kept quality score.</summary>
    public double MinQualityScore { get; init; }

    /// <summary>Per-example filters (cheap first, dedup after content checks) and whole-set filters.</summary>
    public (List<IExampleFilter> Streaming, List<IBatchFilter> Batch) Build()
    {
        var s = new List<IExampleFilter>();
        if (Length != null) s.Add(Length);
        if (AllowedScripts is { } scripts) s.Add(new ScriptRatioFilter(scripts, MinScriptRatio));
        if (MaxRepeatedNgramRatio is { } rep) s.Add(new RepeatedNgramFilter(3, rep));
        if (ExactDedup) s.Add(new ExactDuplicateFilter());
        if (NearDuplicateThreshold is { } t) s.Add(new NearDuplicateFilter(t, MinHashPermutations, ShingleSize));
        if (QualityScorer != null) s.Add(new QualityFilter(QualityScorer, MinQualityScore));
        var b = new List<IBatchFilter>();
        if (Boilerplate != null) b.Add(Boilerplate);
        if (PerplexityScorer != null) b.Add(new PerplexityFilter(PerplexityScorer, PerplexityPercentile));
        return (s, b);
    }
}
