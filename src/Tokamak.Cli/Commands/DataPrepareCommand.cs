using System.CommandLine;
using Tokamak.Data.Filters;
using Tokamak.Data.Preparation;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak data prepare</c>: datasets → filtered, rendered, tokenized shards + report.</summary>
internal static class DataPrepareCommand
{
    public static Command Create()
    {
        var d = new DataOptions();
        var output = new Option<string>("--out", "-o") { Description = "Output folder (shards, tokenized.json, report.json/.txt, length_*.png)", Required = true };
        var dedup = new Option<bool>("--dedup") { Description = "Drop exact duplicates (normalized text hash)" };
        var nearDup = new Option<double?>("--near-dup") { Description = "Drop near duplicates at or above this MinHash Jaccard similarity (e.g. 0.8)" };
        var shingle = new Option<int>("--shingle") { Description = "Words per shingle for --near-dup", DefaultValueFactory = _ => 5 };
        var minChars = new Option<int?>("--min-chars") { Description = "Drop examples with fewer characters" };
        var maxChars = new Option<int?>("--max-chars") { Description = "Drop examples with more characters" };
        var scriptRatio = new Option<double?>("--script-ratio") { Description = "Drop examples where fewer than this fraction of letters are in --scripts" };
        var scripts = new Option<string>("--scripts") { Description = "Allowed scripts for --script-ratio (comma list: latin, han, cyrillic, ...)", DefaultValueFactory = _ => "latin" };
        var repeated = new Option<double?>("--repeated-ngrams") { Description = "Drop examples whose repeated word-trigram ratio exceeds this" };
        var boilerplate = new Option<bool>("--boilerplate") { Description = "Drop documents mostly made of lines repeated across many documents" };
        var ppl = new Option<double?>("--perplexity-percentile") { Description = "Drop examples whose perplexity under --model is above this percentile (0-100)" };
        var pplTokens = new Option<int>("--perplexity-tokens") { Description = "Tokens scored per example for --perplexity-percentile", DefaultValueFactory = _ => 256 };
        var paraphrase = new Option<double>("--paraphrase") { Description = "Share (0-1) of recognized instructions rewritten with another phrasing" };
        var seed = new Option<int>("--seed") { Description = "Augmentation seed", DefaultValueFactory = _ => 42 };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the PNG length histograms" };
        var cmd = new Command("prepare", "Read, unify, filter, augment and render datasets into tokenized shards the trainer reads (tokenized_path)");
        d.AddTo(cmd);
        foreach (Option o in new Option[] { output, dedup, nearDup, shingle, minChars, maxChars, scriptRatio, scripts, repeated, boilerplate, ppl, pplTokens, paraphrase, seed, noPlots })
            cmd.Add(o);
        cmd.SetAction(r =>
        {
            string stage = d.StageName(r);
            var render = d.Render(r);
            var reader = d.Reader(r);
            using var m = d.LoadModel(r);
            var template = stage == "pt" ? null : d.ChatTemplate(r, m)
                ?? throw new CliException($"{m.Name} has no chat template; pass --template chatml or a .jinja file");
            if (r.GetValue(nearDup) is { } nd && nd is <= 0 or > 1) throw new CliException($"--near-dup must be in (0, 1], got {nd}");
            if (r.GetValue(ppl) is { } pp && pp is < 0 or > 100) throw new CliException($"--perplexity-percentile must be in [0, 100], got {pp}");
            using var scorer = r.GetValue(ppl) is null ? null : new ModelPerplexityScorer(m.Model, m.Tokenizer, r.GetValue(pplTokens));
            var quality = new QualityOptions
            {
                ExactDedup = r.GetValue(dedup),
                NearDuplicateThreshold = r.GetValue(nearDup),
                ShingleSize = r.GetValue(shingle),
                Length = r.GetValue(minChars) is null && r.GetValue(maxChars) is null ? null : new LengthFilter { MinChars = r.GetValue(minChars), MaxChars = r.GetValue(maxChars) },
                AllowedScripts = r.GetValue(scriptRatio) is null ? null : ParseScripts(r.GetValue(scripts)!),
                MinScriptRatio = r.GetValue(scriptRatio) ?? 0,
                MaxRepeatedNgramRatio = r.GetValue(repeated),
                Boilerplate = r.GetValue(boilerplate) ? new BoilerplateFilter() : null,
                PerplexityScorer = scorer,
                PerplexityPercentile = r.GetValue(ppl) ?? 90,
            };
            var options = new PrepareOptions
            {
                DatasetDir = r.GetValue(d.DatasetDir)!, Datasets = d.Datasets(r), OutDir = r.GetValue(output)!, Stage = stage,
                Render = render, Quality = quality, Reader = reader, ParaphraseRatio = r.GetValue(paraphrase), Seed = r.GetValue(seed),
                Plots = !r.GetValue(noPlots),
            };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = new DataPreparer(m.Tokenizer, template, options).Run();
            Console.Write(result.Report.ToText());
            Console.Error.WriteLine($"tokamak: {result.Report.RecordsRead} records ({result.InputBytes / 1e6:F1} MB) → {result.Examples} {stage} examples, " +
                $"{result.Tokens} tokens in {sw.Elapsed.TotalSeconds:F1}s; wrote {options.OutDir}");
            return 0;
        });
        return cmd;
    }

    private static Script ParseScripts(string list)
    {
        var s = Script.None;
        foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            s |= Enum.TryParse<Script>(name, ignoreCase: true, out var one) && one != Script.None ? one
                : throw new CliException($"--scripts: unknown script '{name}' (known: {string.Join(", ", Enum.GetNames<Script>().Skip(1)).ToLowerInvariant()})");
        return s != Script.None ? s : throw new CliException("--scripts names no script");
    }
}
