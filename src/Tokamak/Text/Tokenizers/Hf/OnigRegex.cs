using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// A tokenizer.json pattern (Oniguruma syntax, matched over code points in Rust) run with .NET's backtracking
/// <see cref="Regex"/>, which matches UTF-16 code units. Two translations make the results agree:
/// <list type="bullet">
/// <item>Possessive quantifiers <c>X?+</c>, <c>X*+</c>, <c>X++</c> (absent in .NET) become atomic groups
/// <c>(?&gt;X?)</c>, which match exactly the same; Ruby-syntax <c>X{n,m}+</c> (a repeated interval, not
/// possessive) becomes <c>(?:X{n,m})+</c>.</item>
/// <item>Supplementary code points (emoji, CJK extension B, …) are two UTF-16 units that .NET classes like
/// <c>[^\p{L}]</c> would match one half at a time and <c>\p{L}</c> never. Before matching, each surrogate pair
/// is replaced by one BMP stand-in of the same Unicode general category, so every class that is defined by
/// categories (<c>\p{..}</c>, <c>\s</c>, <c>\w</c>, negations) sees one char per code point; match offsets are
/// mapped back. Patterns naming explicit supplementary code points are not supported.</item>
/// </list>
/// Onig's <c>\s</c> is the same set as .NET's (ASCII spaces, U+0085 and the Z categories).
/// </summary>
internal sealed class OnigRegex
{
    private readonly Regex? _regex;
    private readonly string? _literal;

    private OnigRegex(Regex? regex, string? literal)
    {
        _regex = regex;
        _literal = literal;
    }

    /// <summary>The source pattern as given (for messages).</summary>
    public string Source => _literal ?? _regex!.ToString();

    public static OnigRegex Literal(string text) => new(null, text);

    public static OnigRegex Translate(string onigPattern)
    {
        string dotnet = TranslateSyntax(onigPattern);
        try
        {
            return new OnigRegex(new Regex(dotnet, RegexOptions.CultureInvariant | RegexOptions.Compiled), null);
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"tokenizer.json: regex \"{onigPattern}\" cannot be translated to .NET: {ex.Message}", ex);
        }
    }

    /// <summary>Appends the non-empty, non-overlapping matches in <paramref name="text"/> as (start, length) in UTF-16 units.</summary>
    public void FindAll(string text, List<(int Start, int Length)> matches)
    {
        if (_literal is not null)
        {
            if (_literal.Length == 0) return;
            for (int at = text.IndexOf(_literal, StringComparison.Ordinal); at >= 0;
                 at = text.IndexOf(_literal, at + _literal.Length, StringComparison.Ordinal))
                matches.Add((at, _literal.Length));
            return;
        }
        if (!HasSurrogates(text))
        {
            for (var m = _regex!.Match(text); m.Success; m = m.NextMatch())
                if (m.Length > 0) matches.Add((m.Index, m.Length));
            return;
        }
        var (compact, map) = CompactSupplementary(text);
        for (var m = _regex!.Match(compact); m.Success; m = m.NextMatch())
            if (m.Length > 0) matches.Add((map[m.Index], map[m.Index + m.Length] - map[m.Index]));
    }

    /// <summary>Replaces every match with <paramref name="replacement"/> taken literally (no <c>$1</c> groups, as in HF).</summary>
    public string ReplaceAll(string text, string replacement)
    {
        if (_literal is not null) return _literal.Length == 0 ? text : text.Replace(_literal, replacement, StringComparison.Ordinal);
        var matches = new List<(int Start, int Length)>();
        FindAll(text, matches);
        if (matches.Count == 0) return text;
        var sb = new StringBuilder(text.Length);
        int last = 0;
        foreach (var (start, length) in matches)
        {
            sb.Append(text, last, start - last).Append(replacement);
            last = start + length;
        }
        return sb.Append(text, last, text.Length - last).ToString();
    }

    private static bool HasSurrogates(string text)
    {
        foreach (char c in text)
            if (char.IsSurrogate(c)) return true;
        return false;
    }

    /// <summary>Text with each surrogate pair replaced by one stand-in char, and [compact.Length + 1] compact → original index.</summary>
    private static (string Compact, int[] Map) CompactSupplementary(string text)
    {
        var chars = new char[text.Length];
        var map = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            map[n] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(text[i], text[i + 1]);
                chars[n++] = StandIn(CharUnicodeInfo.GetUnicodeCategory(cp));
                i++;
            }
            else chars[n++] = text[i];
        }
        map[n] = text.Length;
        return (new string(chars, 0, n), map);
    }

    /// <summary>A BMP char of the given category that is not ASCII and has no ASCII case mapping.</summary>
    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => 'Ω',
        UnicodeCategory.LowercaseLetter => 'ω',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u05D0',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u203B',
        UnicodeCategory.MathSymbol => '\u2200',
        UnicodeCategory.CurrencySymbol => '\u20A0',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u2302',
        _ => '\u0378', // unassigned in the BMP too
    };

    /// <summary>Rewrites Oniguruma-only quantifier syntax; everything else is passed through unchanged.</summary>
    internal static string TranslateSyntax(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        int atomStart = -1;
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\':
                    {
                        atomStart = sb.Length;
                        int end = EscapeEnd(pattern, i);
                        sb.Append(pattern, i, end - i);
                        i = end;
                        break;
                    }
                case '[':
                    {
                        atomStart = sb.Length;
                        int end = ClassEnd(pattern, i);
                        sb.Append(pattern, i, end - i);
                        i = end;
                        break;
                    }
                case '(':
                    groupStarts.Push(sb.Length);
                    sb.Append(c);
                    i++;
                    if (i < pattern.Length && pattern[i] == '?') sb.Append(pattern[i++]); // (?:, (?i:, (?=, …
                    atomStart = -1;
                    break;
                case ')':
                    atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                    sb.Append(c);
                    i++;
                    break;
                case '|':
                    atomStart = -1;
                    sb.Append(c);
                    i++;
                    break;
                case '*' or '+' or '?' or '{':
                    {
                        int end = c == '{' ? IntervalEnd(pattern, i) : i + 1;
                        if (end < 0)
                        {
                            // a literal '{'
                            atomStart = sb.Length;
                            sb.Append(c);
                            i++;
                            break;
                        }
                        bool interval = c == '{';
                        if (interval && pattern[i + 1] == ',') sb.Append("{0").Append(pattern, i + 1, end - i - 1); // Onig {,m} = {0,m}
                        else sb.Append(pattern, i, end - i);
                        i = end;
                        if (i < pattern.Length && pattern[i] == '?')
                        {
                            sb.Append('?'); // lazy
                            i++;
                        }
                        else if (i < pattern.Length && pattern[i] == '+' && atomStart >= 0)
                        {
                            i++;
                            if (interval) { sb.Insert(atomStart, "(?:"); sb.Append(")+"); }
                            else { sb.Insert(atomStart, "(?>"); sb.Append(')'); }
                        }
                        atomStart = -1;
                        break;
                    }
                default:
                    atomStart = sb.Length;
                    sb.Append(c);
                    i++;
                    break;
            }
        }
        return sb.ToString();
    }

    private static int EscapeEnd(string p, int i)
    {
        if (i + 1 >= p.Length) return p.Length;
        char e = p[i + 1];
        if ((e is 'p' or 'P' or 'x' or 'k' or 'g') && i + 2 < p.Length && p[i + 2] is '{' or '<')
        {
            int close = p.IndexOfAny(['}', '>'], i + 2);
            return close < 0 ? p.Length : close + 1;
        }
        return i + 2;
    }

    private static int ClassEnd(string p, int i)
    {
        int j = i + 1;
        if (j < p.Length && p[j] == '^') j++;
        if (j < p.Length && p[j] == ']') j++; // a leading ']' is literal
        int depth = 1;
        while (j < p.Length)
        {
            char c = p[j];
            if (c == '\\') { j = EscapeEnd(p, j); continue; }
            if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return j + 1;
            j++;
        }
        return p.Length;
    }

    /// <summary>End of a <c>{n}</c>, <c>{n,}</c>, <c>{,m}</c> or <c>{n,m}</c> quantifier at i, or -1 if '{' is literal.</summary>
    private static int IntervalEnd(string p, int i)
    {
        int j = i + 1;
        bool digits = false, comma = false;
        for (; j < p.Length; j++)
        {
            char c = p[j];
            if (char.IsAsciiDigit(c)) digits = true;
            else if (c == ',' && !comma) comma = true;
            else if (c == '}') return digits ? j + 1 : -1;
            else return -1;
        }
        return -1;
    }
}
