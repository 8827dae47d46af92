namespace Tokamak.Analysis.Evaluation;

/// <summary>
/// Makes answers comparable for exact match: surrounding whitespace trimmed, runs of whitespace made one space,
/// lower case (invariant), and one trailing full stop dropped ("Tuesday." and " tuesday" both become "tuesday").
/// Nothing else is forgiven: "7" and "seven" differ, as do "c-a-t" and "c a t".
/// </summary>
public static class AnswerNormalizer
{
    /// <summary>The normalized form of <paramref name="answer"/>.</summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var words = answer.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string s = string.Join(' ', words).ToLowerInvariant();
        return s.EndsWith('.') ? s[..^1].TrimEnd() : s;
    }

    /// <summary>Whether <paramref name="prediction"/> equals <paramref name="reference"/> after normalization.</summary>
    public static bool Matches(string prediction, string reference) => Normalize(prediction) == Normalize(reference);
}
