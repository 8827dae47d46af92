using System.Text;
using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// A tokenizer.json decoder step: rewrites the list of token strings (Rust <c>decode_chain</c>); the decoded text
/// is the concatenation of the final list.
/// </summary>
internal abstract class HfDecoder
{
    /// <param name="tokens">Token strings, rewritten in place or replaced.</param>
    /// <param name="isAdded">Parallel flags: the token is an added token (byte-level decoding leaves those as they are).</param>
    public abstract List<string> Decode(List<string> tokens, List<bool> isAdded);

    public static HfDecoder? FromJson(JsonElement? json)
    {
        if (json is not { } e) return null;
        string type = HfJson.Type(e, "decoder");
        return type switch
        {
            "Sequence" => new SequenceDecoder(HfJson.Array(e, "decoders", "Sequence decoder").Select(d => FromJson(d)!).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Replace" => new ReplaceDecoder(HfJson.Pattern(e, "Replace decoder"), HfJson.RequiredString(e, "content", "Replace decoder"),
                HfJson.LiteralPattern(e)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(HfJson.RequiredString(e, "content", "Strip decoder"), HfJson.Int(e, "start", 0), HfJson.Int(e, "stop", 0)),
            "Metaspace" => new MetaspaceDecoder(MetaspacePreTokenizer.Replacement(e), MetaspacePreTokenizer.Scheme(e) != "never"),
            _ => throw new NotSupportedException($"tokenizer.json: decoder type \"{type}\" is not supported"),
        };
    }
}

internal sealed class SequenceDecoder(HfDecoder[] parts) : HfDecoder
{
    public IReadOnlyList<HfDecoder> Parts => parts;

    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        foreach (var p in parts)
        {
            var next = p.Decode(tokens, isAdded);
            if (next.Count != tokens.Count) isAdded = Enumerable.Repeat(false, next.Count).ToList();
            tokens = next;
        }
        return tokens;
    }
}

/// <summary>
/// Byte-level alphabet → bytes → UTF-8 (invalid sequences become U+FFFD). Added tokens are emitted verbatim
/// and split the byte runs, as tokenizers.js does.
/// </summary>
internal sealed class ByteLevelDecoder : HfDecoder
{
    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        var output = new List<string>();
        var bytes = new List<byte>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (isAdded[i])
            {
                Flush(bytes, output);
                output.Add(tokens[i]);
                continue;
            }
            if (!ByteLevelAlphabet.TryDecode(tokens[i], bytes)) bytes.AddRange(Encoding.UTF8.GetBytes(tokens[i]));
        }
        Flush(bytes, output);
        return output;
    }

    private static void Flush(List<byte> bytes, List<string> output)
    {
        if (bytes.Count == 0) return;
        output.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        bytes.Clear();
    }
}

internal sealed class ReplaceDecoder(OnigRegex pattern, string content, string? literal) : HfDecoder
{
    /// <summary>The literal pattern, or null for a regex.</summary>
    public string? Literal => literal;
    public string Content => content;

    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        for (int i = 0; i < tokens.Count; i++) tokens[i] = pattern.ReplaceAll(tokens[i], content);
        return tokens;
    }
}

/// <summary>
/// Runs of <c>&lt;0xNN&gt;</c> tokens become their UTF-8 text; an invalid run becomes one U+FFFD per byte (Rust).
/// </summary>
internal sealed class ByteFallbackDecoder : HfDecoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        var output = new List<string>(tokens.Count);
        var run = new List<byte>();
        foreach (var t in tokens)
        {
            if (TryParseByte(t, out byte b)) { run.Add(b); continue; }
            FlushRun(run, output);
            output.Add(t);
        }
        FlushRun(run, output);
        return output;
    }

    private static void FlushRun(List<byte> run, List<string> output)
    {
        if (run.Count == 0) return;
        try { output.Add(Strict.GetString(run.ToArray())); }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < run.Count; i++) output.Add("\uFFFD");
        }
        run.Clear();
    }
}

internal sealed class FuseDecoder : HfDecoder
{
    public override List<string> Decode(List<string> tokens, List<bool> isAdded) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> chars from each token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : HfDecoder
{
    public char Content => content.Length == 1 ? content[0] : throw new InvalidDataException("tokenizer.json: Strip decoder content must be one char");
    public int Start => start;
    public int Stop => stop;

    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        char c = Content;
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            int s = 0, e = t.Length;
            while (s < start && s < e && t[s] == c) s++;
            int cut = 0;
            while (cut < stop && e > s && t[e - 1] == c) { e--; cut++; }
            tokens[i] = t[s..e];
        }
        return tokens;
    }
}

/// <summary>▁ → space; the first token loses its leading space when a prefix was prepended at encode time.</summary>
internal sealed class MetaspaceDecoder(string replacement, bool stripFirst) : HfDecoder
{
    public string Replacement => replacement;
    public bool StripFirst => stripFirst;

    public override List<string> Decode(List<string> tokens, List<bool> isAdded)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement, " ", StringComparison.Ordinal);
            if (i == 0 && stripFirst && t.StartsWith(' ')) t = t[1..];
            tokens[i] = t;
        }
        return tokens;
    }
}
