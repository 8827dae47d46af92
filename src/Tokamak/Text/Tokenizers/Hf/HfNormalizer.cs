using System.Text;
using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>A tokenizer.json normalizer: rewrites a text span before pre-tokenization (offsets are not tracked).</summary>
internal abstract class HfNormalizer
{
    public abstract string Normalize(string text);

    public static HfNormalizer? FromJson(JsonElement? json)
    {
        if (json is not { } e) return null;
        string type = HfJson.Type(e, "normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer(HfJson.Array(e, "normalizers", "Sequence normalizer").Select(n => FromJson(n)!).ToArray()),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Prepend" => new PrependNormalizer(HfJson.RequiredString(e, "prepend", "Prepend normalizer")),
            "Replace" => new ReplaceNormalizer(HfJson.Pattern(e, "Replace normalizer"), HfJson.RequiredString(e, "content", "Replace normalizer")),
            "Strip" => new StripNormalizer(HfJson.Bool(e, "strip_left", true), HfJson.Bool(e, "strip_right", true)),
            _ => throw new NotSupportedException($"tokenizer.json: normalizer type \"{type}\" is not supported"),
        };
    }
}

internal sealed class SequenceNormalizer(HfNormalizer[] parts) : HfNormalizer
{
    public override string Normalize(string text)
    {
        foreach (var p in parts) text = p.Normalize(text);
        return text;
    }
}

/// <summary>
/// NFC/NFD/NFKC/NFKD. Where the runtime cannot normalize (InvariantGlobalization), NFC and NFD use
/// <see cref="CanonicalComposition"/>; the compatibility forms then are not supported.
/// </summary>
internal sealed class UnicodeNormalizer : HfNormalizer
{
    private readonly NormalizationForm _form;

    public UnicodeNormalizer(NormalizationForm form)
    {
        if (!CanonicalComposition.RuntimeNormalizes && form is NormalizationForm.FormKC or NormalizationForm.FormKD)
            throw new NotSupportedException($"tokenizer.json: {form} normalization needs globalization support (InvariantGlobalization is on)");
        _form = form;
    }

    public override string Normalize(string text)
    {
        if (!CanonicalComposition.RuntimeNormalizes)
            return _form == NormalizationForm.FormC ? CanonicalComposition.ToNfc(text) : CanonicalComposition.ToNfd(text);
        return text.IsNormalized(_form) ? text : text.Normalize(_form);
    }
}

internal sealed class LowercaseNormalizer : HfNormalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

/// <summary>Prepends a string to non-empty text (Rust <c>Prepend</c>).</summary>
internal sealed class PrependNormalizer(string prefix) : HfNormalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(OnigRegex pattern, string content) : HfNormalizer
{
    public override string Normalize(string text) => pattern.ReplaceAll(text, content);
}

internal sealed class StripNormalizer(bool left, bool right) : HfNormalizer
{
    public override string Normalize(string text) =>
        left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
}
