using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Spm;

/// <summary>
/// Turns a GGUF <c>gpt2</c> (byte-level BPE) vocabulary into the equivalent tokenizer.json pipeline — Split by
/// the pre-tokenizer regex named in <c>tokenizer.ggml.pre</c>, ByteLevel, BPE with <c>tokenizer.ggml.merges</c>,
/// control/user-defined tokens as non-normalized added tokens — and loads it with <see cref="HfTokenizer"/>.
/// </summary>
internal static class GgufBpeTokenizerBuilder
{
    private const string Llama3Pattern =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private const string Qwen2Pattern =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    public static HfTokenizer Build(string[] tokens, int[] types, IReadOnlyDictionary<string, object> m)
    {
        var merges = GgufMetadataValues.Strings(m, "tokenizer.ggml.merges")
            ?? throw new InvalidDataException("GGUF gpt2 tokenizer has no tokenizer.ggml.merges");
        string pre = GgufMetadataValues.String(m, "tokenizer.ggml.pre") ?? "default";
        string pattern = pre switch
        {
            "llama-bpe" or "llama3" => Llama3Pattern,
            "qwen2" => Qwen2Pattern,
            "default" or "gpt-2" or "gpt2" => Hf.ByteLevelPreTokenizer.Gpt2Pattern,
            _ => throw new NotSupportedException($"GGUF gpt2 tokenizer pre-tokenizer \"{pre}\" is not supported (supported: llama-bpe, qwen2, gpt-2)"),
        };
        int? bos = GgufMetadataValues.Int(m, "tokenizer.ggml.bos_token_id");
        int? eos = GgufMetadataValues.Int(m, "tokenizer.ggml.eos_token_id");
        bool addBos = GgufMetadataValues.Bool(m, "tokenizer.ggml.add_bos_token") ?? false;
        foreach (var id in new[] { bos, eos })
            if (id is { } v && (uint)v >= (uint)tokens.Length)
                throw new InvalidDataException($"GGUF special token id {v} is outside the vocabulary ({tokens.Length})");
        if (addBos && bos is null) throw new InvalidDataException("GGUF tokenizer.ggml.add_bos_token is set but there is no bos_token_id");

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartArray("added_tokens");
            for (int i = 0; i < tokens.Length; i++)
            {
                if (types[i] is not ((int)SpmTokenType.Control or (int)SpmTokenType.UserDefined)) continue;
                w.WriteStartObject();
                w.WriteNumber("id", i);
                w.WriteString("content", tokens[i]);
                w.WriteBoolean("special", types[i] == (int)SpmTokenType.Control);
                w.WriteBoolean("normalized", false);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("use_regex", false);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            if (addBos)
            {
                w.WriteStartObject("post_processor");
                w.WriteString("type", "TemplateProcessing");
                w.WriteStartArray("single");
                w.WriteStartObject();
                w.WriteStartObject("SpecialToken");
                w.WriteString("id", "bos");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteStartObject("Sequence");
                w.WriteString("id", "A");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartObject("special_tokens");
                w.WriteStartObject("bos");
                w.WriteStartArray("ids");
                w.WriteNumberValue(bos!.Value);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteStartObject("decoder");
            w.WriteString("type", "ByteLevel");
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteBoolean("ignore_merges", pre is "llama-bpe" or "llama3");
            w.WriteStartObject("vocab");
            for (int i = 0; i < tokens.Length; i++) w.WriteNumber(tokens[i], i);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var merge in merges) w.WriteStringValue(merge);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using var config = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["bos_token"] = bos is { } b ? tokens[b] : null,
            ["eos_token"] = eos is { } e ? tokens[e] : null,
            ["clean_up_tokenization_spaces"] = false,
        }));
        using var doc = JsonDocument.Parse(stream.ToArray());
        return HfTokenizer.FromJson(doc.RootElement, config.RootElement);
    }
}
