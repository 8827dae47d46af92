using Tokamak.Models.Architectures;
using Tokamak.Models.Formats;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Models;

/// <summary>A runnable model: weights, forward pass, tokenizer and (when the model has one) its chat template.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(LoadedWeights weights, Tokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        Weights = weights;
        Model = new LlamaModel(weights.Config, weights.Weights);
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
    }

    /// <summary>The opened weights and their format.</summary>
    public LoadedWeights Weights { get; }

    /// <summary>The forward pass.</summary>
    public LlamaModel Model { get; }

    /// <summary>Shape and options.</summary>
    public ModelConfig Config => Weights.Config;

    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The model's chat template, or null for base models without one.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>A short name: the folder or file name.</summary>
    public string Name => Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(Weights.Path));

    /// <inheritdoc />
    public void Dispose() => Weights.Dispose();
}

/// <summary>Opens a model path of any supported format together with its tokenizer and chat template.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>: a Hugging Face folder (tokenizer.json and tokenizer_config.json beside the
    /// weights), a GGUF file (vocabulary and template embedded), or a llama2.c checkpoint (with
    /// <paramref name="tokenizerPath"/>, or a tokenizer.bin / tok*.bin beside it).
    /// </summary>
    public static LoadedModel Load(string path, string? tokenizerPath = null)
    {
        var weights = WeightsLoader.Load(path);
        try
        {
            var (tokenizer, template) = weights.Format switch
            {
                ModelFormat.HuggingFace => LoadHf(Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!, tokenizerPath),
                ModelFormat.Gguf => LoadGguf((GgufFile)weights.Source, tokenizerPath),
                _ => (Llama2cTokenizer.FromFile(tokenizerPath ?? FindLlama2cTokenizer(path)), (ChatTemplate?)null),
            };
            return new LoadedModel(weights, tokenizer, template);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static (Tokenizer, ChatTemplate?) LoadHf(string dir, string? tokenizerPath)
    {
        string tokDir = tokenizerPath ?? dir;
        if (!File.Exists(Path.Combine(tokDir, "tokenizer.json")))
            throw new FileNotFoundException($"no tokenizer.json in {tokDir} (give --tokenizer DIR)");
        var tok = HfTokenizer.FromDirectory(tokDir);
        string cfg = Path.Combine(tokDir, "tokenizer_config.json");
        ChatTemplate? template = null;
        if (File.Exists(cfg) && (HasChatTemplate(cfg) || File.Exists(Path.Combine(tokDir, "chat_template.jinja"))))
            template = ChatTemplate.FromTokenizerConfig(cfg);
        return (tok, template);
    }

    private static bool HasChatTemplate(string tokenizerConfig)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(tokenizerConfig));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("chat_template", out var t) && t.ValueKind != System.Text.Json.JsonValueKind.Null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{tokenizerConfig}: not valid JSON ({e.Message})");
        }
    }

    private static (Tokenizer, ChatTemplate?) LoadGguf(GgufFile g, string? tokenizerPath)
    {
        if (tokenizerPath is not null) return LoadHf(tokenizerPath, null);
        if (!g.Has("tokenizer.ggml.tokens")) throw new InvalidDataException($"{Path.GetFileName(g.Path)} has no embedded vocabulary (tokenizer.ggml.tokens); give --tokenizer DIR");
        var tok = GgufVocabTokenizer.FromMetadata(g.Metadata);
        ChatTemplate? template = null;
        if (g.Metadata.TryGetValue("tokenizer.chat_template", out var t) && t is string src && src.Length > 0)
        {
            string? Piece(string key) => g.Has(key) ? tok.TokenToPiece(g.Get(key, 0)) : null;
            template = new ChatTemplate(src, Piece("tokenizer.ggml.bos_token_id"), Piece("tokenizer.ggml.eos_token_id"));
        }
        return (tok, template);
    }

    private static string FindLlama2cTokenizer(string modelPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        string named = Path.Combine(dir, "tokenizer.bin");
        if (File.Exists(named)) return named;
        var candidates = Directory.GetFiles(dir, "tok*.bin");
        if (candidates.Length == 1) return candidates[0];
        throw new FileNotFoundException($"no tokenizer for llama2.c checkpoint {Path.GetFileName(modelPath)}: put tokenizer.bin beside it or give --tokenizer FILE");
    }
}
