using Tokamak.Data.Synthetic;
using Tokamak.Training.Config;

namespace Tokamak.Training.Recipes;

/// <summary>
/// A recipe file (<c>recipes/default-model/recipe.yaml</c>): the corpus to generate and the files of the later stages
/// (model shape, pretraining and SFT configs), all flat YAML keys. File names are relative to the recipe file.
/// </summary>
public sealed class RecipeConfig
{
    /// <summary>Full path of the recipe file.</summary>
    public string SourcePath { get; private set; } = "";
    /// <summary>Folder of the recipe file; the stage files are found there.</summary>
    public string Directory => Path.GetDirectoryName(SourcePath)!;
    /// <summary>Corpus generation options (seed, sizes, tokenizer vocabulary, context length).</summary>
    public CorpusOptions Corpus { get; private set; } = new();
    /// <summary>Model shape (HF config.json) file the pretraining config names.</summary>
    public string Model { get; private set; } = "model.json";
    /// <summary>Pretraining config (stage pt, from scratch).</summary>
    public string Pretrain { get; private set; } = "pretrain.yaml";
    /// <summary>Supervised fine-tuning config.</summary>
    public string Sft { get; private set; } = "sft.yaml";
    /// <summary>Quantization type or recipe name for the GGUF.</summary>
    public string Quantization { get; private set; } = "q8_0";
    /// <summary>File name of the final GGUF in the output folder.</summary>
    public string Gguf { get; private set; } = "tokamak-chat.gguf";
    /// <summary>Most tokens per evaluation answer.</summary>
    public int EvalMaxTokens { get; private set; } = 32;

    /// <summary>Reads and validates a recipe file.</summary>
    public static RecipeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"recipe file not found: {path}", path);
        var c = Parse(File.ReadAllText(path), path);
        c.SourcePath = Path.GetFullPath(path);
        foreach (var f in c.StageFiles)
            if (!File.Exists(Path.Combine(c.Directory, f))) throw new InvalidDataException($"{path}: stage file '{f}' not found beside it");
        return c;
    }

    /// <summary>The files the recipe copies into its output folder (model shape, pretraining, SFT configs).</summary>
    public IEnumerable<string> StageFiles => [Model, Pretrain, Sft];

    /// <summary>Parses recipe YAML; <paramref name="source"/> names it in error messages.</summary>
    public static RecipeConfig Parse(string yaml, string source = "recipe")
    {
        var c = new RecipeConfig();
        var corpus = new CorpusOptions();
        foreach (var e in YamlSubset.Parse(yaml, source))
        {
            string where = $"{source}:{e.Line}";
            string text = e.Scalar ?? throw new InvalidDataException($"{where}: '{e.Key}' takes a single value, not a list");
            int Int(int min)
            {
                double? d = YamlSubset.Number(text);
                if (d is not { } v || v != Math.Floor(v) || v < min || v > int.MaxValue)
                    throw new InvalidDataException($"{where}: '{e.Key}' must be a whole number >= {min}, got '{text}'");
                return (int)v;
            }
            switch (e.Key)
            {
                case "seed": corpus = corpus with { Seed = (ulong)Int(0) }; break;
                case "stories": corpus = corpus with { Stories = Int(1) }; break;
                case "questions": corpus = corpus with { Questions = Int(1) }; break;
                case "chats": corpus = corpus with { Chats = Int(0) }; break;
                case "story_chats": corpus = corpus with { StoryChats = Int(0) }; break;
                case "tool_calls": corpus = corpus with { ToolCalls = Int(0) }; break;
                case "vocab": corpus = corpus with { TokenizerVocabSize = Int(16) }; break;
                case "ctx": corpus = corpus with { ModelMaxLength = Int(2) }; break;
                case "eval_per_task": corpus = corpus with { EvalQuestionsPerTask = Int(1) }; break;
                case "eval_stories": corpus = corpus with { EvalStories = Int(0) }; break;
                case "model": c.Model = text; break;
                case "pretrain": c.Pretrain = text; break;
                case "sft": c.Sft = text; break;
                case "quantization": c.Quantization = text; break;
                case "gguf": c.Gguf = text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? text : throw new InvalidDataException($"{where}: 'gguf' must name a .gguf file, got '{text}'"); break;
                case "eval_max_tokens": c.EvalMaxTokens = Int(1); break;
                default: throw new InvalidDataException($"{where}: unknown key '{e.Key}'");
            }
        }
        try { corpus.Validate(); }
        catch (ArgumentException ex) { throw new InvalidDataException($"{source}: {ex.Message}"); }
        c.Corpus = corpus;
        return c;
    }
}
