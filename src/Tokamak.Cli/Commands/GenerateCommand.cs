using System.CommandLine;
using System.Text.Json;
using Tokamak.Engine;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak generate</c>: complete a prompt, streaming text to stdout (or one JSON object).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", DefaultValueFactory = _ => "" };
        var cmd = new Command("generate", "Generate a continuation of a prompt");
        o.AddModel(cmd);
        cmd.Add(prompt);
        o.AddSampling(cmd);
        cmd.Add(o.Format);
        cmd.Add(o.Profile);
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            var sampling = o.Sampling(r);
            using var m = o.Load(r, quiet: format == "json");
            var ids = m.Tokenizer.Encode(r.GetValue(prompt) ?? "", addSpecialTokens: true);
            if (ids.Length == 0 && m.Config.BosTokenId is int bos) ids = [bos];
            var gen = new Generator(m.Model, m.Tokenizer);
            var profiler = r.GetValue(o.Profile) ? new Tokamak.Analysis.OpProfiler() : null;
            m.Model.Profiler = profiler;
            using var cts = CancelOnCtrlC();
            GenerationResult result;
            if (format == "json")
            {
                result = gen.Generate(ids, sampling, null, cts.Token);
                var json = new
                {
                    prompt_ids = result.PromptIds,
                    ids = result.Ids,
                    text = result.Text,
                    finish_reason = result.FinishReason,
                    prefill_tok_s = Math.Round(result.PrefillTokensPerSecond, 2),
                    decode_tok_s = Math.Round(result.DecodeTokensPerSecond, 2),
                };
                Console.Out.WriteLine(JsonSerializer.Serialize(json));
            }
            else
            {
                var stdout = Console.Out;
                stdout.Write(r.GetValue(prompt));
                result = gen.Generate(ids, sampling, t => { stdout.Write(t.Text); stdout.Flush(); }, cts.Token);
                stdout.WriteLine();
                Console.Error.WriteLine($"tokamak: {result.PromptIds.Length} prompt tokens at {result.PrefillTokensPerSecond:F1} tok/s, {result.Ids.Length} generated at {result.DecodeTokensPerSecond:F1} tok/s, finish: {result.FinishReason}");
            }
            if (profiler is not null) Console.Error.Write(profiler.Report("generate (prefill + decode)"));
            return 0;
        });
        return cmd;
    }

    /// <summary>Ctrl+C stops generation cleanly instead of killing the process mid-write.</summary>
    internal static CancellationTokenSource CancelOnCtrlC()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return cts;
    }
}
