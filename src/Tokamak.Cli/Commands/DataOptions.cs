using System.CommandLine;
using Tokamak.Data.Readers;
using Tokamak.Data.Rendering;
using Tokamak.Models;
using Tokamak.Text.Templates;
using Tokamak.Training;

namespace Tokamak.Cli.Commands;

/// <summary>Options <c>tokamak data prepare</c> and <c>tokamak data inspect</c> share: datasets, model, template, rendering.</summary>
internal sealed class DataOptions
{
    public Option<string> DatasetDir { get; } = new("--dataset-dir") { Description = "Folder with dataset_info.json and the data files", Required = true };
    public Option<string> Dataset { get; } = new("--dataset") { Description = "Dataset name(s), comma-separated (dataset_info.json entries or file names)", Required = true };
    public Option<string> Model { get; } = new("--model", "-m") { Description = "Model whose tokenizer and chat template render the data", Required = true };
    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "Tokenizer folder or file, when not beside the model" };
    public Option<string?> Template { get; } = new("--template") { Description = "Chat template: the model's own (default), chatml, or a .jinja file" };
    public Option<string> Stage { get; } = new("--stage") { Description = "pt, sft, rm or dpo", DefaultValueFactory = _ => "sft" };
    public Option<int> CutoffLen { get; } = new("--cutoff-len") { Description = "Maximum tokens per example (pt: block size)", DefaultValueFactory = _ => 1024 };
    public Option<bool> TrainOnPrompt { get; } = new("--train-on-prompt") { Description = "Also train on system/user tokens" };
    public Option<bool> MaskHistory { get; } = new("--mask-history") { Description = "Train only on the last assistant turn" };
    public Option<string> OnError { get; } = new("--on-error") { Description = "Malformed records: skip (counted) or fail", DefaultValueFactory = _ => "fail" };

    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { DatasetDir, Dataset, Model, Tokenizer, Template, Stage, CutoffLen, TrainOnPrompt, MaskHistory, OnError }) c.Add(o);
    }

    public IReadOnlyList<string> Datasets(ParseResult r)
    {
        var names = r.GetValue(Dataset)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return names.Length > 0 ? names : throw new CliException("--dataset names no dataset");
    }

    public string StageName(ParseResult r) =>
        r.GetValue(Stage) is "pt" or "sft" or "rm" or "dpo" ? r.GetValue(Stage)! : throw new CliException($"--stage must be pt, sft, rm or dpo, got '{r.GetValue(Stage)}'");

    public RenderOptions Render(ParseResult r)
    {
        int cutoff = r.GetValue(CutoffLen);
        if (cutoff < 2) throw new CliException($"--cutoff-len must be at least 2, got {cutoff}");
        return new RenderOptions(cutoff, r.GetValue(TrainOnPrompt), r.GetValue(MaskHistory));
    }

    public ReaderOptions Reader(ParseResult r) => new()
    {
        OnError = r.GetValue(OnError) switch
        {
            "skip" => ErrorPolicy.Skip,
            "fail" => ErrorPolicy.Fail,
            var other => throw new CliException($"--on-error must be skip or fail, got '{other}'"),
        },
    };

    public LoadedModel LoadModel(ParseResult r)
    {
        string path = r.GetValue(Model)!;
        if (!File.Exists(path) && !Directory.Exists(path)) throw new CliException($"model not found: {path}");
        return ModelLoader.Load(path, r.GetValue(Tokenizer));
    }

    /// <summary>The template to render with: --template, else the model's own; null when neither exists.</summary>
    public ChatTemplate? ChatTemplate(ParseResult r, LoadedModel m) => r.GetValue(Template) switch
    {
        null => m.ChatTemplate,
        "chatml" => new ChatTemplate(TrainingRun.ChatMlSource, null, null),
        var p when File.Exists(p) => new ChatTemplate(File.ReadAllText(p), null, null),
        var p => throw new CliException($"--template: '{p}' is neither chatml nor an existing .jinja file"),
    };
}
