namespace Tokamak.Text.Tokenizers;

/// <summary>
/// Hugging Face's <c>clean_up_tokenization</c>: removes the space before punctuation and English contractions
/// (" ." → ".", " n't" → "n't", …), applied as sequential whole-string replacements in this order.
/// </summary>
internal static class TokenizationSpaces
{
    private static readonly (string From, string To)[] Replacements =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
        (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    /// <summary>Longest pattern length: text whose last this-many-minus-one chars hold no space can be split there.</summary>
    public const int MaxPatternLength = 4;

    /// <summary>Applies the replacements.</summary>
    public static string CleanUp(string text)
    {
        if (text.IndexOf(' ') < 0) return text;
        foreach (var (from, to) in Replacements) text = text.Replace(from, to, StringComparison.Ordinal);
        return text;
    }

    /// <summary>
    /// Largest index p ≤ text.Length such that cleaning text[..p] and text[p..] separately equals cleaning the whole:
    /// every pattern starts with a space and is at most 4 chars, so no match can straddle p when the 3 chars
    /// before p hold no space (those chars are then never rewritten by any pass either). 0 when there is none.
    /// </summary>
    public static int SafeSplit(ReadOnlySpan<char> text)
    {
        for (int p = text.Length; p >= MaxPatternLength - 1; p--)
        {
            var before = text.Slice(p - (MaxPatternLength - 1), MaxPatternLength - 1);
            if (before.IndexOf(' ') < 0) return p;
        }
        return 0;
    }
}
