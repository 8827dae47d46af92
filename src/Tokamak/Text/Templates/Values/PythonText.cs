using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>
/// Python <c>str</c> operations that depend on code points rather than UTF-16 units (length, indexing, slicing)
/// or on Python's definition of whitespace and line breaks.
/// </summary>
internal static class PythonText
{
    /// <summary>Python <c>str.isspace</c> for one UTF-16 unit (adds the \x1c-\x1f separators .NET lacks).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    private static bool HasSurrogates(string s)
    {
        foreach (char c in s)
            if (char.IsSurrogate(c)) return true;
        return false;
    }

    /// <summary>Number of code points (<c>len(s)</c>).</summary>
    public static int Length(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            n++;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        }
        return n;
    }

    /// <summary>The string split into code points (each one or two UTF-16 units).</summary>
    public static List<string> CodePoints(string s)
    {
        var list = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i, 2));
                i++;
            }
            else list.Add(s[i].ToString());
        }
        return list;
    }

    /// <summary>Converts a UTF-16 index to a code point index.</summary>
    public static int CodePointIndex(string s, int utf16Index)
    {
        int n = 0;
        for (int i = 0; i < utf16Index; i++)
        {
            n++;
            if (char.IsHighSurrogate(s[i]) && i + 1 < utf16Index && char.IsLowSurrogate(s[i + 1])) i++;
        }
        return n;
    }

    /// <summary><c>s[i]</c> with Python negative indexing; null when out of range.</summary>
    public static string? Index(string s, long index)
    {
        if (!HasSurrogates(s))
        {
            if (index < 0) index += s.Length;
            return index >= 0 && index < s.Length ? s[(int)index].ToString() : null;
        }
        var cps = CodePoints(s);
        if (index < 0) index += cps.Count;
        return index >= 0 && index < cps.Count ? cps[(int)index] : null;
    }

    /// <summary><c>s[start:stop:step]</c>.</summary>
    public static string Slice(string s, long? start, long? stop, long? step)
    {
        if (!HasSurrogates(s))
        {
            var idx = SliceIndices(s.Length, start, stop, step);
            if (step is null or 1) return idx.Count == 0 ? "" : s.Substring(idx[0], idx.Count);
            var sb = new StringBuilder(idx.Count);
            foreach (int i in idx) sb.Append(s[i]);
            return sb.ToString();
        }
        var cps = CodePoints(s);
        var sb2 = new StringBuilder();
        foreach (int i in SliceIndices(cps.Count, start, stop, step)) sb2.Append(cps[i]);
        return sb2.ToString();
    }

    /// <summary>The indices Python's <c>slice.indices(length)</c> walks.</summary>
    public static List<int> SliceIndices(int length, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new JinjaRuntimeError("slice step cannot be zero");
        long lo, hi;
        if (st > 0)
        {
            lo = Clamp(start ?? 0, length, 0, length);
            hi = Clamp(stop ?? length, length, 0, length);
        }
        else
        {
            lo = Clamp(start ?? length - 1, length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(stop.Value, length, -1, length - 1);
        }
        var result = new List<int>();
        if (st > 0) for (long i = lo; i < hi; i += st) result.Add((int)i);
        else for (long i = lo; i > hi; i += st) result.Add((int)i);
        return result;
    }

    private static long Clamp(long i, int length, long min, long max)
    {
        if (i < 0) i += length;
        return Math.Clamp(i, min, max);
    }

    /// <summary>Python <c>str.strip(chars)</c>: whitespace when <paramref name="chars"/> is null.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int a = 0, b = s.Length;
        if (left) while (a < b && Matches(s[a], chars)) a++;
        if (right) while (b > a && Matches(s[b - 1], chars)) b--;
        return s.Substring(a, b - a);
    }

    private static bool Matches(char c, string? chars) => chars is null ? IsSpace(c) : chars.Contains(c);

    /// <summary>Python <c>str.splitlines()</c> (without keepends).</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python <c>str.split(sep, maxsplit)</c>; whitespace-run splitting when <paramref name="sep"/> is null.</summary>
    public static List<string> Split(string s, string? sep, int maxSplit)
    {
        var parts = new List<string>();
        if (sep is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(Strip(s[i..], null, false, true));
                    break;
                }
                int j = i;
                while (j < s.Length && !IsSpace(s[j])) j++;
                parts.Add(s[i..j]);
                i = j;
            }
            return parts;
        }
        if (sep.Length == 0) throw new JinjaRuntimeError("empty separator");
        int pos = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int k = s.IndexOf(sep, pos, StringComparison.Ordinal);
            if (k < 0) break;
            parts.Add(s[pos..k]);
            pos = k + sep.Length;
        }
        parts.Add(s[pos..]);
        return parts;
    }

    /// <summary>Python <c>str.rsplit(sep, maxsplit)</c>.</summary>
    public static List<string> RSplit(string s, string? sep, int maxSplit)
    {
        if (maxSplit < 0) return Split(s, sep, maxSplit);
        var parts = new List<string>();
        if (sep is null)
        {
            int j = s.Length;
            while (true)
            {
                while (j > 0 && IsSpace(s[j - 1])) j--;
                if (j <= 0) break;
                if (parts.Count == maxSplit)
                {
                    parts.Add(Strip(s[..j], null, true, false));
                    break;
                }
                int i = j;
                while (i > 0 && !IsSpace(s[i - 1])) i--;
                parts.Add(s[i..j]);
                j = i;
            }
            parts.Reverse();
            return parts;
        }
        if (sep.Length == 0) throw new JinjaRuntimeError("empty separator");
        int end = s.Length;
        while (parts.Count < maxSplit)
        {
            int k = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
            if (k < 0 || k + sep.Length > end) break;
            parts.Add(s[(k + sep.Length)..end]);
            end = k;
        }
        parts.Add(s[..end]);
        parts.Reverse();
        return parts;
    }

    /// <summary>Python <c>str.capitalize()</c>: first code point upper, rest lower.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python <c>str.title()</c>: a cased char after an uncased one is upper-cased, other cased chars lowered.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.TitlecaseLetter;
            sb.Append(cased ? (prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            prevCased = cased;
        }
        return sb.ToString();
    }
}
