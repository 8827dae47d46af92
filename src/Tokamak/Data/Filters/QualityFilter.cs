namespace Tokamak.Data.Filters;

/// <summary>Drops examples an <see cref="IQualityScorer"/> scores below <see cref="MinScore"/>.</summary>
public sealed class QualityFilter(IQualityScorer scorer, double minScore) : IExampleFilter
{
    /// <summary>Lowest score kept.</summary>
    public double MinScore { get; } = minScore;

    /// <inheritdoc />
    public string Name => "quality";

    /// <inheritdoc />
    public string? Check(UnifiedExample example) =>
        scorer.Score(ExampleText.Flatten(example)) < MinScore ? DropReasons.LowQuality : null;
}
