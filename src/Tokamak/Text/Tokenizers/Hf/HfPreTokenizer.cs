using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// A tokenizer.json pre-tokenizer: splits each piece of text into smaller pieces (and may rewrite them, as
/// ByteLevel does). The model then encodes each final piece on its own.
/// </summary>
internal abstract class HfPreTokenizer
{
    /// <summary>Splits/rewrites every piece of <paramref name="pieces"/>; <paramref name="isFirstSection"/> is true for text at the start of the input.</summary>
    public abstract List<string> PreTokenize(List<string> pieces, bool isFirstSection);

    public static HfPreTokenizer? FromJson(JsonElement? json)
    {
        if (json is not { } e) return null;
        string type = HfJson.Type(e, "pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(HfJson.Array(e, "pretokenizers", "Sequence pre_tokenizer").Select(p => FromJson(p)!).ToArray()),
            "Split" => new SplitPreTokenizer(HfJson.Pattern(e, "Split pre_tokenizer"),
                SplitPreTokenizer.ParseBehavior(HfJson.RequiredString(e, "behavior", "Split pre_tokenizer")), HfJson.Bool(e, "invert", false)),
            "ByteLevel" => new ByteLevelPreTokenizer(HfJson.Bool(e, "add_prefix_space", true), HfJson.Bool(e, "use_regex", true)),
            "Metaspace" => new MetaspacePreTokenizer(MetaspacePreTokenizer.Replacement(e), MetaspacePreTokenizer.Scheme(e), HfJson.Bool(e, "split", true)),
            "Digits" => new SplitPreTokenizer(OnigRegex.Translate(HfJson.Bool(e, "individual_digits", false) ? "\\p{Nd}" : "\\p{Nd}+"), SplitBehavior.Isolated, false),
            "WhitespaceSplit" => new SplitPreTokenizer(OnigRegex.Translate("\\s+"), SplitBehavior.Removed, false),
            "Whitespace" => new SplitPreTokenizer(OnigRegex.Translate("\\w+|[^\\w\\s]+"), SplitBehavior.Removed, true),
            _ => throw new NotSupportedException($"tokenizer.json: pre_tokenizer type \"{type}\" is not supported"),
        };
    }
}

internal sealed class SequencePreTokenizer(HfPreTokenizer[] parts) : HfPreTokenizer
{
    public override List<string> PreTokenize(List<string> pieces, bool isFirstSection)
    {
        foreach (var p in parts) pieces = p.PreTokenize(pieces, isFirstSection);
        return pieces;
    }
}

/// <summary>How a Split pre-tokenizer treats the matched delimiters.</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Rust <c>Split</c>: splits at pattern matches (or, inverted, at the gaps between them).</summary>
internal sealed class SplitPreTokenizer(OnigRegex pattern, SplitBehavior behavior, bool invert) : HfPreTokenizer
{
    private readonly List<(int Start, int Length)> _matches = [];

    public static SplitBehavior ParseBehavior(string name) => name switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new InvalidDataException($"tokenizer.json: unknown Split behavior \"{name}\""),
    };

    public override List<string> PreTokenize(List<string> pieces, bool isFirstSection)
    {
        var output = new List<string>(pieces.Count * 4);
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in pieces)
        {
            matches.Clear();
            pattern.FindAll(piece, matches);
            // [segments] (start, end, isMatch) covering the piece
            var segments = new List<(int Start, int End, bool IsMatch)>(matches.Count * 2 + 1);
            int last = 0;
            foreach (var (start, length) in matches)
            {
                if (start > last) segments.Add((last, start, invert));
                segments.Add((start, start + length, !invert));
                last = start + length;
            }
            if (last < piece.Length) segments.Add((last, piece.Length, invert));
            Emit(piece, segments, output);
        }
        return output;
    }

    private void Emit(string piece, List<(int Start, int End, bool IsMatch)> segments, List<string> output)
    {
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var s in segments) if (!s.IsMatch) output.Add(piece[s.Start..s.End]);
                break;
            case SplitBehavior.Isolated:
                foreach (var s in segments) output.Add(piece[s.Start..s.End]);
                break;
            case SplitBehavior.Contiguous:
                {
                    int i = 0;
                    while (i < segments.Count)
                    {
                        int j = i + 1;
                        while (j < segments.Count && segments[j].IsMatch && segments[i].IsMatch) j++;
                        output.Add(piece[segments[i].Start..segments[j - 1].End]);
                        i = j;
                    }
                    break;
                }
            case SplitBehavior.MergedWithPrevious:
                {
                    int start = -1;
                    foreach (var s in segments)
                    {
                        if (start < 0) start = s.Start;
                        if (s.IsMatch) { output.Add(piece[start..s.End]); start = -1; }
                    }
                    if (start >= 0) output.Add(piece[start..]);
                    break;
                }
            case SplitBehavior.MergedWithNext:
                {
                    int start = -1;
                    foreach (var s in segments)
                    {
                        if (s.IsMatch && start >= 0) { output.Add(piece[start..s.Start]); start = -1; }
                        if (start < 0) start = s.Start;
                    }
                    if (start >= 0) output.Add(piece[start..]);
                    break;
                }
        }
    }
}

/// <summary>
/// Rust <c>ByteLevel</c> pre-tokenizer: optional prefix space, optional GPT-2 regex split, then every piece is
/// rewritten into <see cref="ByteLevelAlphabet"/> chars (one char per UTF-8 byte).
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : HfPreTokenizer
{
    internal const string Gpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static readonly Lazy<SplitPreTokenizer> Gpt2Split =
        new(() => new SplitPreTokenizer(OnigRegex.Translate(Gpt2Pattern), SplitBehavior.Isolated, false));

    public override List<string> PreTokenize(List<string> pieces, bool isFirstSection)
    {
        if (addPrefixSpace)
            for (int i = 0; i < pieces.Count; i++)
                if (!pieces[i].StartsWith(' ')) pieces[i] = " " + pieces[i];
        if (useRegex) pieces = Gpt2Split.Value.PreTokenize(pieces, isFirstSection);
        for (int i = 0; i < pieces.Count; i++) pieces[i] = ByteLevelAlphabet.Encode(pieces[i]);
        return pieces;
    }
}

/// <summary>Rust <c>Metaspace</c>: spaces become the replacement char (▁), optionally prepended, split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(string replacement, string prependScheme, bool split) : HfPreTokenizer
{
    public static string Replacement(JsonElement e) => HfJson.String(e, "replacement") ?? "▁";

    public static string Scheme(JsonElement e) =>
        HfJson.String(e, "prepend_scheme") ?? (HfJson.Bool(e, "add_prefix_space", true) ? "always" : "never");

    public override List<string> PreTokenize(List<string> pieces, bool isFirstSection)
    {
        var output = new List<string>(pieces.Count * 4);
        for (int p = 0; p < pieces.Count; p++)
        {
            string s = pieces[p].Replace(" ", replacement, StringComparison.Ordinal);
            bool prepend = prependScheme == "always" || (prependScheme == "first" && isFirstSection && p == 0);
            if (prepend && !s.StartsWith(replacement, StringComparison.Ordinal)) s = replacement + s;
            if (s.Length == 0) continue;
            if (!split) { output.Add(s); continue; }
            int start = 0;
            for (int at = s.IndexOf(replacement, 1, StringComparison.Ordinal); at > 0; at = s.IndexOf(replacement, at + 1, StringComparison.Ordinal))
            {
                output.Add(s[start..at]);
                start = at;
            }
            if (start < s.Length) output.Add(s[start..]);
        }
        return output;
    }
}
