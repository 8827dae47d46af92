using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Backend;

/// <summary>
/// A model opened from a path with its tokenizer and chat template. Stands in for the library's model loader until
/// that is available: Hugging Face folders only (tokenizer.json + tokenizer_config.json).
/// </summary>
public sealed class LocalModel : IDisposable
{
    private readonly LoadedWeights _weights;

    private LocalModel(LoadedWeights weights, LlamaModel model, Tokenizer tokenizer, ChatTemplate? template, string name)
    {
        _weights = weights;
        Model = model;
        Tokenizer = tokenizer;
        ChatTemplate = template;
        Name = name;
    }

    /// <summary>The forward pass.</summary>
    public LlamaModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The chat template, if the model ships one.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>The folder or file name.</summary>
    public string Name { get; }

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The path or its tokenizer is missing.</exception>
    public static LocalModel Load(string path)
    {
        var weights = WeightsLoader.Load(path);
        try
        {
            string dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
                throw new FileNotFoundException($"{dir} has no tokenizer.json; the server needs a Hugging Face tokenizer beside the weights");
            var tokenizer = HfTokenizer.FromDirectory(dir);
            ChatTemplate? template = null;
            string cfgPath = Path.Combine(dir, "tokenizer_config.json");
            if (File.Exists(cfgPath))
            {
                try { template = ChatTemplate.FromTokenizerConfig(cfgPath); }
                catch (InvalidDataException) { template = null; } // no chat template: completions only
            }
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            return new LocalModel(weights, new LlamaModel(weights.Config, weights.Weights), tokenizer, template, name);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the weights.</summary>
    public void Dispose() => _weights.Dispose();
}
