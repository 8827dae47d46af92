using System.Globalization;

namespace Tokamak.Training.Config;

/// <summary>A scalar or list value of a top-level YAML key, with the line it came from.</summary>
/// <param name="Key">The key.</param>
/// <param name="Line">1-based line of the key.</param>
/// <param name="Scalar">Unquoted scalar text, or null for a list.</param>
/// <param name="Items">List items, or null for a scalar.</param>
public sealed record YamlEntry(string Key, int Line, string? Scalar, IReadOnlyList<string>? Items);

/// <summary>
/// Reads the YAML subset training configs use: a flat mapping of <c>key: scalar</c>, <c>key: [a, b]</c> flow lists
/// and <c>key:</c> followed by <c>- item</c> block lists; <c>#</c> comments; single- or double-quoted scalars.
/// Anything else (nested mappings, anchors, multi-line scalars) is rejected with the line number.
/// </summary>
public static class YamlSubset
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names the file in error messages.</summary>
    public static List<YamlEntry> Parse(string text, string source = "config")
    {
        var entries = new List<YamlEntry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        string? listKey = null;
        int listLine = 0;
        List<string>? listItems = null;
        void FlushList()
        {
            if (listKey is null) return;
            entries.Add(new YamlEntry(listKey, listLine, listItems!.Count == 0 ? "" : null, listItems.Count == 0 ? null : listItems));
            listKey = null;
        }
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string line = StripComment(lines[i], source, lineNo).TrimEnd();
            if (line.Trim().Length == 0 || line.Trim() == "---") continue;
            if (line.Contains('\t')) throw Error(source, lineNo, "tabs are not allowed for indentation in YAML");
            string trimmed = line.TrimStart();
            bool indented = trimmed.Length != line.Length;
            if (trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed == "-")
            {
                if (listKey is null) throw Error(source, lineNo, "list item without a key above it");
                listItems!.Add(Unquote(trimmed[1..].Trim(), source, lineNo));
                continue;
            }
            if (indented) throw Error(source, lineNo, $"nested mappings are not supported ('{trimmed}')");
            FlushList();
            int colon = trimmed.IndexOf(':');
            if (colon <= 0) throw Error(source, lineNo, $"expected 'key: value', got '{trimmed}'");
            string key = trimmed[..colon].Trim();
            if (colon + 1 < trimmed.Length && trimmed[colon + 1] != ' ') throw Error(source, lineNo, $"expected a space after ':' in '{trimmed}'");
            if (seen.TryGetValue(key, out int first)) throw Error(source, lineNo, $"key '{key}' repeats (first set on line {first})");
            seen[key] = lineNo;
            string value = trimmed[(colon + 1)..].Trim();
            if (value.Length == 0) { listKey = key; listLine = lineNo; listItems = []; continue; }
            if (value.StartsWith('['))
            {
                if (!value.EndsWith(']')) throw Error(source, lineNo, $"key '{key}': unterminated flow list");
                var items = value[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => Unquote(s, source, lineNo)).ToList();
                entries.Add(new YamlEntry(key, lineNo, null, items));
                continue;
            }
            if (value.StartsWith('{') || value.StartsWith('&') || value.StartsWith('*') || value is "|" or ">")
                throw Error(source, lineNo, $"key '{key}': this YAML feature is not supported in training configs");
            entries.Add(new YamlEntry(key, lineNo, Unquote(value, source, lineNo), null));
        }
        FlushList();
        return entries;
    }

    private static string StripComment(string line, string source, int lineNo)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'' && (i == 0 || line[i - 1] is ' ' or ':' or '[' or ',' or '-')) quote = c;
            else if (c == '#' && (i == 0 || line[i - 1] == ' ')) return line[..i];
        }
        if (quote != '\0') throw Error(source, lineNo, "unterminated quoted string");
        return line;
    }

    private static string Unquote(string s, string source, int lineNo)
    {
        if (s.Length >= 2 && (s[0] == '"' && s[^1] == '"' || s[0] == '\'' && s[^1] == '\'')) return s[1..^1];
        if (s.StartsWith('"') || s.StartsWith('\'')) throw Error(source, lineNo, $"unterminated quoted string {s}");
        return s;
    }

    private static InvalidDataException Error(string source, int line, string message) => new($"{source}:{line}: {message}");

    /// <summary>Parses YAML booleans (true/false/yes/no/on/off).</summary>
    public static bool? Bool(string s) => s.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>Parses a YAML number (invariant culture, scientific notation allowed).</summary>
    public static double? Number(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;
}
