using System.Text;

namespace Tokamak.Data.Filters;

/// <summary>Canonical text for duplicate detection: lower case, punctuation removed, whitespace runs collapsed to one space.</summary>
public static class TextNormalizer
{
    /// <summary>Normalizes <paramref name="text"/>; "Hello,  World!" → "hello world".</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (var ch in text)
        {
            if (char.IsWhiteSpace(ch)) { pendingSpace = sb.Length > 0; continue; }
            if (char.IsPunctuation(ch)) continue;
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }
}
