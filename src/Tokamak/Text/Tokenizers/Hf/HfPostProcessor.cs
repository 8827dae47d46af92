using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// A tokenizer.json post-processor for single sequences: the ids placed before and after the encoded text when
/// special tokens are requested (e.g. TemplateProcessing's BOS). ByteLevel only touches offsets, so it adds nothing.
/// </summary>
internal sealed class HfPostProcessor
{
    public static readonly HfPostProcessor None = new([], []);

    public HfPostProcessor(int[] prefix, int[] suffix)
    {
        Prefix = prefix;
        Suffix = suffix;
    }

    public int[] Prefix { get; }
    public int[] Suffix { get; }

    public static HfPostProcessor FromJson(JsonElement? json)
    {
        if (json is not { } e) return None;
        string type = HfJson.Type(e, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                {
                    var prefix = new List<int>();
                    var suffix = new List<int>();
                    foreach (var p in HfJson.Array(e, "processors", "Sequence post_processor"))
                    {
                        var part = FromJson(p);
                        prefix.AddRange(part.Prefix);
                        suffix.InsertRange(0, part.Suffix);
                    }
                    return new HfPostProcessor(prefix.ToArray(), suffix.ToArray());
                }
            case "TemplateProcessing":
                return Template(e);
            case "BertProcessing" or "RobertaProcessing":
                return new HfPostProcessor([PairId(e, "cls")], [PairId(e, "sep")]);
            default:
                throw new NotSupportedException($"tokenizer.json: post_processor type \"{type}\" is not supported");
        }
    }

    /// <summary>["[CLS]", 101] style entries.</summary>
    private static int PairId(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2 ? v[1].GetInt32()
            : throw new InvalidDataException($"tokenizer.json: post_processor has no [token, id] \"{name}\"");

    private static HfPostProcessor Template(JsonElement e)
    {
        if (!e.TryGetProperty("special_tokens", out var specials) || specials.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json: TemplateProcessing has no \"special_tokens\"");
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (var item in HfJson.Array(e, "single", "TemplateProcessing"))
        {
            if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
            if (!item.TryGetProperty("SpecialToken", out var st))
                throw new InvalidDataException($"tokenizer.json: TemplateProcessing item {item.GetRawText()} is neither Sequence nor SpecialToken");
            string name = HfJson.RequiredString(st, "id", "TemplateProcessing SpecialToken");
            if (!specials.TryGetProperty(name, out var def))
                throw new InvalidDataException($"tokenizer.json: TemplateProcessing special token \"{name}\" is not defined");
            var ids = HfJson.Array(def, "ids", $"TemplateProcessing special token \"{name}\"").Select(x => x.GetInt32());
            (seenSequence ? suffix : prefix).AddRange(ids);
        }
        return new HfPostProcessor(prefix.ToArray(), suffix.ToArray());
    }
}
