using System.CommandLine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Cli.Commands;

/// <summary>Options several commands share: the model, threads, output format and sampling.</summary>
internal sealed class CommonOptions
{
    /// <summary>Tokamak's own small chat model (models/default in the repository), copied beside the executable at build time.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "default", "tokamak-chat.gguf");

    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = "Model: a Hugging Face folder, a .gguf file or a llama2.c .bin (default: Tokamak's own small chat model)",
        DefaultValueFactory = _ => DefaultModelPath,
    };
    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "Tokenizer folder (tokenizer.json) or llama2.c tokenizer.bin, when not beside the model" };
    public Option<int> Threads { get; } = new("--threads", "-t") { Description = "Compute threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<string> Format { get; } = new("--format") { Description = "Output format: text or json", DefaultValueFactory = _ => "text" };

    public Option<int> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 };
    public Option<float> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.8f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 40 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 0.95f };
    public Option<float> MinP { get; } = new("--min-p") { Description = "Drop tokens below min-p × the top probability (0 = off)", DefaultValueFactory = _ => 0.05f };
    public Option<float> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "Penalty on tokens already seen (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> PresencePenalty { get; } = new("--presence-penalty") { Description = "OpenAI presence penalty", DefaultValueFactory = _ => 0f };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "OpenAI frequency penalty", DefaultValueFactory = _ => 0f };
    public Option<ulong?> Seed { get; } = new("--seed", "-s") { Description = "Random seed (same seed, same output)" };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<bool> IgnoreEos { get; } = new("--ignore-eos") { Description = "Keep generating past the end-of-sequence token" };
    public Option<bool> Profile { get; } = new("--profile") { Description = "Print time, FLOPs and bytes per op kind per token (stderr)" };

    public void AddModel(Command c)
    {
        c.Add(Model);
        c.Add(Tokenizer);
        c.Add(Threads);
    }

    public void AddSampling(Command c)
    {
        foreach (Option o in new Option[] { MaxTokens, Temperature, TopK, TopP, MinP, RepetitionPenalty, PresencePenalty, FrequencyPenalty, Seed, Stop, IgnoreEos })
            c.Add(o);
    }

    public SamplingParams Sampling(ParseResult r)
    {
        var p = new SamplingParams
        {
            MaxTokens = r.GetValue(MaxTokens),
            Temperature = r.GetValue(Temperature),
            TopK = r.GetValue(TopK),
            TopP = r.GetValue(TopP),
            MinP = r.GetValue(MinP),
            RepetitionPenalty = r.GetValue(RepetitionPenalty),
            PresencePenalty = r.GetValue(PresencePenalty),
            FrequencyPenalty = r.GetValue(FrequencyPenalty),
            Seed = r.GetValue(Seed),
            Stop = r.GetValue(Stop) ?? [],
            IgnoreEos = r.GetValue(IgnoreEos),
        };
        p.Validate();
        return p;
    }

    public string OutputFormat(ParseResult r)
    {
        string f = r.GetValue(Format) ?? "text";
        return f is "text" or "json" ? f : throw new CliException($"--format must be text or json, got '{f}'");
    }

    /// <summary>Configures threads and loads the model, reporting the time on stderr.</summary>
    public LoadedModel Load(ParseResult r, bool quiet = false)
    {
        int threads = r.GetValue(Threads);
        if (threads < 1 || threads > 1024) throw new CliException($"--threads must be between 1 and 1024, got {threads}");
        ComputePool.Configure(threads);
        string path = r.GetValue(Model)!;
        if (path == DefaultModelPath && !File.Exists(path))
            throw new CliException($"no --model given and the default model is missing: {path}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var m = ModelLoader.Load(path, r.GetValue(Tokenizer));
        if (ModelFacts.WeightBytes(m) > 256L << 20)
        {
            // Large files: fault the weights in now, with progress, instead of stalling the first token.
            bool tty = !quiet && !Console.IsErrorRedirected;
            m.Weights.Prefetch(tty ? (done, total) => Console.Error.Write($"\rtokamak: loading {m.Name} {100.0 * done / total,5:F1}% of {total / 1048576.0:F0} MiB") : null);
            if (tty) Console.Error.WriteLine();
        }
        if (!quiet)
            Console.Error.WriteLine($"tokamak: loaded {m.Name} ({m.Config.Architecture}, {ModelFacts.ParameterCount(m) / 1e6:F1}M params, {ModelFacts.WeightBytes(m) / 1048576.0:F0} MiB) in {sw.Elapsed.TotalSeconds:F2}s");
        return m;
    }
}
