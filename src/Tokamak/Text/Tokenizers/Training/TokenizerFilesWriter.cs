using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Text.Tokenizers.Training;

/// <summary>
/// Writes a trained <see cref="BpeVocabulary"/> as a standard Hugging Face tokenizer: <c>tokenizer.json</c> (BPE model
/// with vocab and merges, <see cref="BpeTrainer.PreTokenizerJson"/>, ByteLevel decoder, added tokens first — ids 0..4,
/// so a model config can name its EOS ids whatever size the trained vocabulary ends up — and BPE tokens after them) and <c>tokenizer_config.json</c> (no BOS, EOS <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>,
/// <see cref="ChatMlTemplate"/> as <c>chat_template</c>).
/// </summary>
public static class TokenizerFilesWriter
{
    /// <summary>Id of the first BPE token (the byte for 0x00); the added tokens come before it.</summary>
    public static int FirstBpeId => AddedTokens.Length;

    /// <summary>Added tokens in id order from 0, with whether each is special (skipped when decoding with skip).</summary>
    public static readonly (string Content, bool Special)[] AddedTokens =
    [
        (ChatMlTemplate.EndOfText, true), (ChatMlTemplate.ImStart, true), (ChatMlTemplate.ImEnd, true),
        (ChatMlTemplate.ToolCallOpen, false), (ChatMlTemplate.ToolCallClose, false),
    ];

    /// <summary>Writes both files into <paramref name="directory"/> (created if needed); returns the total vocabulary size.</summary>
    public static int Write(string directory, BpeVocabulary vocabulary, int modelMaxLength)
    {
        Directory.CreateDirectory(directory);
        var indented = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), TokenizerJson(vocabulary).ToJsonString(indented) + "\n");
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), TokenizerConfig(vocabulary, modelMaxLength).ToJsonString(indented) + "\n");
        return vocabulary.Tokens.Count + AddedTokens.Length;
    }

    /// <summary>The tokenizer.json document.</summary>
    public static JsonObject TokenizerJson(BpeVocabulary v)
    {
        var added = new JsonArray();
        for (int i = 0; i < AddedTokens.Length; i++)
            added.Add(new JsonObject
            {
                ["id"] = i, ["content"] = AddedTokens[i].Content, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = AddedTokens[i].Special,
            });
        var vocab = new JsonObject();
        for (int i = 0; i < v.Tokens.Count; i++) vocab[v.Tokens[i]] = FirstBpeId + i;
        var merges = new JsonArray();
        foreach (var (l, r) in v.Merges) merges.Add(new JsonArray(l, r));
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = JsonNode.Parse(BpeTrainer.PreTokenizerJson),
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = merges,
            },
        };
    }

    /// <summary>The tokenizer_config.json document.</summary>
    public static JsonObject TokenizerConfig(BpeVocabulary v, int modelMaxLength)
    {
        var decoderEntries = new JsonObject();
        for (int i = 0; i < AddedTokens.Length; i++)
            decoderEntries[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = AddedTokens[i].Content, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false,
                ["single_word"] = false, ["special"] = AddedTokens[i].Special,
            };
        return new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoderEntries,
            ["additional_special_tokens"] = new JsonArray(ChatMlTemplate.ImStart, ChatMlTemplate.ImEnd),
            ["bos_token"] = null,
            ["chat_template"] = ChatMlTemplate.Source,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = ChatMlTemplate.ImEnd,
            ["errors"] = "replace",
            ["model_max_length"] = modelMaxLength,
            ["pad_token"] = ChatMlTemplate.EndOfText,
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["unk_token"] = null,
        };
    }
}
