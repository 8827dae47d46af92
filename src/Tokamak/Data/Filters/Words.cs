using System.Text;

namespace Tokamak.Data.Filters;

/// <summary>
/// Word segmentation for filters: runs of letters/digits (apostrophes kept inside words), with each CJK ideograph,
/// kana or Hangul syllable counted as its own word since those scripts do not separate words with spaces.
/// </summary>
public static class Words
{
    /// <summary>The lower-cased words of <paramref name="text"/>.</summary>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        Span<char> units = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune) || (rune.Value == '\'' && sb.Length > 0))
            {
                if (Scripts.IsCjk(rune))
                {
                    Flush(sb, words);
                    words.Add(rune.ToString());
                    continue;
                }
                sb.Append(units[..Rune.ToLowerInvariant(rune).EncodeToUtf16(units)]);
            }
            else Flush(sb, words);
        }
        Flush(sb, words);
        return words;
    }

    /// <summary>Number of words of <paramref name="text"/>.</summary>
    public static int Count(string text) => Split(text).Count;

    private static void Flush(StringBuilder sb, List<string> words)
    {
        if (sb.Length == 0) return;
        words.Add(sb.ToString().TrimEnd('\''));
        sb.Clear();
    }
}
