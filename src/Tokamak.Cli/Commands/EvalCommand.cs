using System.CommandLine;
using System.Text.Json;
using Tokamak.Analysis.Evaluation;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak eval</c>: exact-match accuracy per task on the held-out questions, and perplexity on held-out stories.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var tasks = new Option<string>("--tasks") { Description = "'default' (all tasks) or a comma-separated list of task names", DefaultValueFactory = _ => "default" };
        var data = new Option<string?>("--data") { Description = "Corpus folder with heldout/ (default: the built-in held-out split)" };
        var limit = new Option<int>("--limit") { Description = "Most questions per task (0: all)", DefaultValueFactory = _ => 0 };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens per answer", DefaultValueFactory = _ => 32 };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Window size for story perplexity", DefaultValueFactory = _ => 256 };
        var noPpl = new Option<bool>("--no-perplexity") { Description = "Skip the story perplexity" };
        var verbose = new Option<bool>("--show-answers") { Description = "Print every question, answer and verdict (stderr)" };
        var cmd = new Command("eval", "Score a model on the held-out split: exact match per task, perplexity on stories");
        o.AddModel(cmd);
        foreach (Option opt in new Option[] { tasks, data, limit, maxTokens, ctx, noPpl, verbose, o.Format }) cmd.Add(opt);
        cmd.SetAction((r, ct) =>
        {
            string format = o.OutputFormat(r);
            if (r.GetValue(limit) < 0) throw new CliException($"--limit must not be negative, got {r.GetValue(limit)}");
            string? dir = r.GetValue(data);
            if (dir is not null && !Directory.Exists(dir)) throw new CliException($"corpus folder not found: {dir}");
            var heldOut = (dir is null ? HeldOutData.Default() : HeldOutData.Load(dir)).Select(r.GetValue(tasks)!, r.GetValue(limit));
            using var m = o.Load(r, quiet: format == "json");
            bool show = r.GetValue(verbose);
            var result = ModelEvaluator.Run(m, heldOut,
                new EvalOptions { MaxTokens = r.GetValue(maxTokens), PerplexityContext = r.GetValue(ctx), Perplexity = !r.GetValue(noPpl) },
                show ? x => Console.Error.WriteLine($"[{x.Item.Task}] {x.Item.Question} → {x.Prediction.Trim()} ({(x.Correct ? "ok" : "expected " + x.Item.Answer)})") : null, ct);
            if (format == "json") Console.WriteLine(Json(m.Name, result));
            else Print(m.Name, result);
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static void Print(string model, EvalResult result)
    {
        var em = result.ExactMatch;
        int width = Math.Max(8, em.Tasks.Select(t => t.Task.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine($"model {model}, prompts {(result.UsedChatTemplate ? "through its chat template" : "plain (no chat template)")}");
        Console.WriteLine($"{"task".PadRight(width)}  correct  total  accuracy");
        foreach (var t in em.Tasks)
            Console.WriteLine($"{t.Task.PadRight(width)}  {t.Correct,7}  {t.Total,5}  {t.Accuracy * 100,7:F1}%");
        Console.WriteLine($"{"overall".PadRight(width)}  {em.Correct,7}  {em.Total,5}  {em.MicroAccuracy * 100,7:F1}%  (macro {em.MacroAccuracy * 100:F1}%)");
        if (result.StoryPerplexity is { } p)
            Console.WriteLine($"story perplexity {p.Perplexity:F4} ± {p.StandardError:F4} ({p.Chunks} windows, {p.Tokens} tokens)");
    }

    private static string Json(string model, EvalResult result)
    {
        var em = result.ExactMatch;
        var p = result.StoryPerplexity;
        return JsonSerializer.Serialize(new
        {
            model,
            chat_template = result.UsedChatTemplate,
            tasks = em.Tasks.Select(t => new { task = t.Task, correct = t.Correct, total = t.Total, accuracy = t.Accuracy }),
            overall = new { correct = em.Correct, total = em.Total, accuracy = em.MicroAccuracy, macro_accuracy = em.MacroAccuracy },
            perplexity = p is null ? null : new { value = p.Perplexity, stderr = p.StandardError, windows = p.Chunks, tokens = p.Tokens },
        });
    }
}
