namespace Tokamak.Data.Filters;

/// <summary>
/// Scores every surviving example with an <see cref="IPerplexityScorer"/> and drops those scoring strictly above the
/// <see cref="DropAbovePercentile"/>-th percentile of all scores (e.g. 90 drops roughly the worst 10%).
/// </summary>
public sealed class PerplexityFilter(IPerplexityScorer scorer, double dropAbovePercentile = 90) : IBatchFilter
{
    /// <summary>Percentile (0..100) above which examples are dropped.</summary>
    public double DropAbovePercentile { get; } = dropAbovePercentile;

    /// <summary>The cut-off used by the last <see cref="Evaluate"/> call.</summary>
    public double LastThreshold { get; private set; } = double.NaN;

    /// <inheritdoc />
    public string Name => "perplexity";

    /// <inheritdoc />
    public IReadOnlyList<string?> Evaluate(IReadOnlyList<UnifiedExample> examples)
    {
        if (examples.Count == 0) return [];
        var scores = new double[examples.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = scorer.Score(ExampleText.Flatten(examples[i]));
            if (double.IsNaN(scores[i])) throw new InvalidOperationException($"perplexity scorer returned NaN for {examples[i].Origin ?? $"example {i}"}");
        }
        LastThreshold = Percentile.Of(scores, DropAbovePercentile);
        return scores.Select(s => s > LastThreshold ? DropReasons.Perplexity : null).ToArray();
    }
}
