namespace Tokamak.Data.Filters;

/// <summary>Scores text by a language model's perplexity (lower = more natural). Implemented by a model-backed scorer.</summary>
public interface IPerplexityScorer
{
    /// <summary>Perplexity of <paramref name="text"/>.</summary>
    double Score(string text);
}

/// <summary>Scores text quality with a classifier (higher = better). Implemented by a model-backed scorer.</summary>
public interface IQualityScorer
{
    /// <summary>Quality score of <paramref name="text"/>.</summary>
    double Score(string text);
}
