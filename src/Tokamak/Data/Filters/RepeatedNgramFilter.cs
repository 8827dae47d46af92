namespace Tokamak.Data.Filters;

/// <summary>
/// Drops spammy examples: the repeated word n-gram ratio, 1 − distinct/total n-grams, must not exceed
/// <see cref="MaxRatio"/>. ("buy now buy now buy now" has a high ratio; ordinary prose is near 0.)
/// </summary>
public sealed class RepeatedNgramFilter(int n = 3, double maxRatio = 0.3) : IExampleFilter
{
    /// <summary>N-gram length in words.</summary>
    public int N { get; } = n;

    /// <summary>Highest tolerated ratio.</summary>
    public double MaxRatio { get; } = maxRatio;

    /// <inheritdoc />
    public string Name => "repeated_ngrams";

    /// <summary>1 − distinct/total word n-grams of <paramref name="text"/> (0 when it has fewer than n words).</summary>
    public static double Ratio(string text, int n)
    {
        var words = Words.Split(text);
        int total = words.Count - n + 1;
        if (total <= 0) return 0;
        var distinct = new HashSet<ulong>();
        for (int s = 0; s < total; s++)
        {
            ulong h = 14695981039346656037UL;
            for (int w = s; w < s + n; w++) h = StableHash.Of(words[w], h ^ 0x1F);
            distinct.Add(h);
        }
        return 1.0 - (double)distinct.Count / total;
    }

    /// <inheritdoc />
    public string? Check(UnifiedExample example) =>
        Ratio(ExampleText.Flatten(example), N) > MaxRatio ? DropReasons.RepeatedNgrams : null;
}
