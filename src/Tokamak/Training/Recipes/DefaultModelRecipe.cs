using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Analysis.Evaluation;
using Tokamak.Data;
using Tokamak.Data.Filters;
using Tokamak.Data.Formats;
using Tokamak.Data.Output;
using Tokamak.Data.Synthetic;
using Tokamak.Models;
using Tokamak.Quantization;
using Tokamak.Training.Config;
using Tokamak.Training.Export;

namespace Tokamak.Training.Recipes;

/// <summary>
/// Builds Tokamak's default chat model end to end into one output folder: synthetic corpus → BPE tokenizer → data
/// pipeline (SFT records converted, filtered and written as one prepared dataset) → pretraining from scratch → full SFT
/// → Hugging Face folder → quantized GGUF → held-out evaluation. Every stage is seeded by the recipe's configs, so a
/// re-run reproduces the model. Output layout: <c>corpus/</c>, <c>prepared/</c>, the configs' <c>output_dir</c>s,
/// <c>hf/</c>, the GGUF, <c>recipe.json</c> (stage times and evaluation).
/// </summary>
public sealed class DefaultModelRecipe
{
    /// <summary>Name of the prepared SFT dataset in <c>prepared/dataset_info.json</c>.</summary>
    public const string PreparedDataset = "tokamak_sft";

    private readonly RecipeConfig _config;
    private readonly string _out;
    private readonly Action<string> _log;
    private readonly List<RecipeStage> _stages = [];

    /// <summary>Creates a run of <paramref name="config"/> into <paramref name="outputDirectory"/>.</summary>
    public DefaultModelRecipe(RecipeConfig config, string outputDirectory, Action<string>? log = null)
    {
        _config = config;
        _out = Path.GetFullPath(outputDirectory);
        _log = log ?? (_ => { });
    }

    /// <summary>Keep the artifacts of stages an earlier run finished instead of redoing them (a stopped training stage continues from its checkpoint).</summary>
    public bool Resume { get; init; }

    private string CorpusDir => Path.Combine(_out, "corpus");
    private string PreparedDir => Path.Combine(_out, "prepared");
    private string HfDir => Path.Combine(_out, "hf");

    /// <summary>Runs every stage in order and writes <c>recipe.json</c>.</summary>
    public RecipeResult Run(CancellationToken ct = default)
    {
        Directory.CreateDirectory(_out);
        foreach (var f in _config.StageFiles) File.Copy(Path.Combine(_config.Directory, f), Path.Combine(_out, f), overwrite: true);
        var pretrain = TrainConfig.Load(Path.Combine(_out, _config.Pretrain));
        var sft = TrainConfig.Load(Path.Combine(_out, _config.Sft));
        if (sft.FinetuningType != "full")
            throw new InvalidDataException($"{_config.Sft}: the recipe exports the SFT output folder as the model, so it needs finetuning_type: full");
        var corpus = _config.Corpus;
        string gguf = Path.Combine(_out, _config.Gguf);

        Stage("corpus", Path.Combine(CorpusDir, "corpus.json"), () => CorpusWriter.Write(CorpusDir, corpus with { TokenizerVocabSize = 0 }));
        Stage("tokenizer", Path.Combine(CorpusDir, CorpusWriter.TokenizerFolder, "tokenizer.json"), () => TrainTokenizer(corpus));
        Stage("prepare", Path.Combine(PreparedDir, "dataset_info.json"), Prepare);
        Stage("pretrain", Path.Combine(Path.GetFullPath(Path.Combine(_out, pretrain.OutputDir)), "config.json"), () => Train(pretrain, ct));
        string sftDir = Path.GetFullPath(Path.Combine(_out, sft.OutputDir));
        Stage("sft", Path.Combine(sftDir, "config.json"), () => Train(sft, ct));
        Stage("export", Path.Combine(HfDir, "config.json"), () => Export(sftDir));
        Stage("quantize", gguf, () =>
        {
            var s = Quantizer.Run(HfDir, gguf + ".tmp", QuantRecipe.Parse(_config.Quantization), log: m => _log(m));
            File.Move(gguf + ".tmp", gguf, overwrite: true);
            _log($"{_config.Gguf}: {s.Architecture}, {_config.Quantization}, {s.Bytes / 1048576.0:F2} MiB");
        });
        ct.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        EvalResult eval;
        using (var model = ModelLoader.Load(gguf))
            eval = ModelEvaluator.Run(model, HeldOutData.Load(CorpusDir), new EvalOptions { MaxTokens = _config.EvalMaxTokens }, ct: ct);
        _stages.Add(new RecipeStage("eval", clock.Elapsed, Path.Combine(_out, "recipe.json"), Reused: false));
        _log($"stage eval: {clock.Elapsed.TotalSeconds:F1}s, {eval.ExactMatch.MicroAccuracy * 100:F1}% exact match" +
            (eval.StoryPerplexity is { } p ? $", story perplexity {p.Perplexity:F3}" : ""));
        var result = new RecipeResult(_stages, gguf, eval);
        File.WriteAllText(Path.Combine(_out, "recipe.json"), Json(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return result;
    }

    private void Stage(string name, string artifact, Action run)
    {
        if (Resume && Path.Exists(artifact))
        {
            _stages.Add(new RecipeStage(name, TimeSpan.Zero, artifact, Reused: true));
            _log($"stage {name}: reusing {artifact}");
            return;
        }
        _log($"stage {name} ...");
        var clock = Stopwatch.StartNew();
        run();
        if (!Path.Exists(artifact)) throw new InvalidOperationException($"stage {name} finished without writing {artifact}");
        _stages.Add(new RecipeStage(name, clock.Elapsed, artifact, Reused: false));
        _log($"stage {name}: {clock.Elapsed.TotalSeconds:F1}s -> {artifact}");
    }

    // The same tokenizer `tokamak corpus` trains (on the regenerated, identical training texts), as its own timed stage.
    private void TrainTokenizer(CorpusOptions corpus)
    {
        var v = CorpusTokenizer.TrainAndWrite(TrainingSet.Generate(corpus), Path.Combine(CorpusDir, CorpusWriter.TokenizerFolder), corpus.TokenizerVocabSize, corpus.ModelMaxLength);
        int size = v.Tokens.Count + Text.Tokenizers.Training.TokenizerFilesWriter.AddedTokens.Length;
        string manifest = Path.Combine(CorpusDir, "corpus.json");
        var m = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        m["tokenizer_vocab_size"] = size;
        File.WriteAllText(manifest, m.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        _log($"tokenizer: {size} tokens");
    }

    // The SFT datasets go through the data pipeline: converted from sharegpt to the unified shape, validated, length-filtered,
    // written as one JSONL with its report. No dedup: repeated questions are how the small tasks get their weight.
    private void Prepare()
    {
        Directory.CreateDirectory(PreparedDir);
        var registry = DatasetRegistry.Load(Path.Combine(CorpusDir, "dataset_info.json"));
        var pipeline = DataPipeline.FromOptions(new QualityOptions { ExactDedup = false, NearDuplicateThreshold = null, Length = new LengthFilter { MinChars = 1 } });
        var report = new DataReport();
        var examples = new[] { CorpusWriter.QaDataset, CorpusWriter.ChatDataset }.SelectMany(d => pipeline.ProcessDataset(registry[d], CorpusDir, report));
        long n = ExampleJsonl.WriteFile(examples, Path.Combine(PreparedDir, "sft.jsonl"));
        ReportFiles.Write(report, PreparedDir);
        if (n == 0) throw new InvalidDataException("the data pipeline kept no SFT examples");
        var info = new JsonObject
        {
            [PreparedDataset] = new JsonObject
            {
                ["file_name"] = "sft.jsonl", ["formatting"] = "sharegpt",
                ["columns"] = new JsonObject { ["messages"] = "messages", ["system"] = "system", ["tools"] = "tools" },
                ["tags"] = new JsonObject
                {
                    ["role_tag"] = "role", ["content_tag"] = "content", ["user_tag"] = ExampleJsonl.RoleName(Role.User),
                    ["assistant_tag"] = ExampleJsonl.RoleName(Role.Assistant), ["observation_tag"] = ExampleJsonl.RoleName(Role.Observation),
                    ["function_tag"] = ExampleJsonl.RoleName(Role.FunctionCall), ["system_tag"] = ExampleJsonl.RoleName(Role.System),
                },
            },
        };
        File.WriteAllText(Path.Combine(PreparedDir, "dataset_info.json"), info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        _log($"prepared {n} SFT examples ({report.RecordsRead} records read)");
    }

    private void Train(TrainConfig config, CancellationToken ct)
    {
        var run = new TrainingRun(config, _log);
        if (Resume && File.Exists(run.CheckpointPath)) config.ResumeFromCheckpoint = "true";
        var r = run.Run(ct);
        if (r.StopReason == "interrupted") throw new OperationCanceledException($"training stopped at step {r.Steps}; run again with --resume to continue");
        _log($"{config.Stage}: {r.StopReason}, {r.Steps} steps, final loss {r.FinalLoss:F4}, {r.TokensPerSecond:F0} tokens/s");
    }

    // The Hugging Face folder is the SFT output without its training state (checkpoint, log).
    private void Export(string sftDir)
    {
        Directory.CreateDirectory(HfDir);
        foreach (var name in new[] { "config.json", "model.safetensors" }.Concat(HfModelExporter.TokenizerFiles))
        {
            string f = Path.Combine(sftDir, name);
            if (File.Exists(f)) File.Copy(f, Path.Combine(HfDir, name), overwrite: true);
        }
        if (!File.Exists(Path.Combine(HfDir, "model.safetensors"))) throw new InvalidDataException($"no model.safetensors in {sftDir}");
    }

    /// <summary>The <c>recipe.json</c> document: stage times and the evaluation table.</summary>
    public static JsonObject Json(RecipeResult result)
    {
        var em = result.Eval.ExactMatch;
        var p = result.Eval.StoryPerplexity;
        var stages = new JsonArray();
        foreach (var s in result.Stages)
            stages.Add(new JsonObject { ["stage"] = s.Name, ["seconds"] = Math.Round(s.Elapsed.TotalSeconds, 2), ["reused"] = s.Reused, ["artifact"] = s.Artifact });
        var tasks = new JsonArray();
        foreach (var t in em.Tasks)
            tasks.Add(new JsonObject { ["task"] = t.Task, ["correct"] = t.Correct, ["total"] = t.Total, ["accuracy"] = t.Accuracy });
        return new JsonObject
        {
            ["gguf"] = result.GgufPath,
            ["total_seconds"] = Math.Round(result.Stages.Sum(s => s.Elapsed.TotalSeconds), 2),
            ["stages"] = stages,
            ["tasks"] = tasks,
            ["accuracy"] = em.MicroAccuracy,
            ["macro_accuracy"] = em.MacroAccuracy,
            ["story_perplexity"] = p is null ? null : JsonValue.Create(p.Perplexity),
            ["finished"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        };
    }
}
