using System.CommandLine;
using System.Text.Json;
using Tokamak.Analysis;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak perplexity</c>: llama-perplexity's measurement, so numbers compare with llama.cpp's.</summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var file = new Option<string>("--file", "-f") { Description = "Text file to score", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Window (context) size", DefaultValueFactory = _ => 512 };
        var klBase = new Option<string?>("--kl-divergence-base") { Description = "File of the base model's log-probs: written, or read with --kl-divergence" };
        var kl = new Option<bool>("--kl-divergence") { Description = "Compare with --kl-divergence-base (mean KL, top-1 agreement, PPL of both)" };
        var cmd = new Command("perplexity", "Perplexity of a text file (llama-perplexity's method: second half of each window scored)");
        o.AddModel(cmd);
        cmd.Add(file);
        cmd.Add(ctx);
        cmd.Add(o.Format);
        cmd.Add(klBase);
        cmd.Add(kl);
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            string path = r.GetValue(file)!;
            if (!File.Exists(path)) throw new CliException($"text file not found: {path}");
            using var m = o.Load(r, quiet: format == "json");
            if (r.GetValue(klBase) is { } basePath) return KlDivergenceCommand.Run(m, basePath, r.GetValue(kl), path, r.GetValue(ctx), format);
            if (r.GetValue(kl)) throw new CliException("--kl-divergence needs --kl-divergence-base FILE");
            var tokens = m.Tokenizer.Encode(File.ReadAllText(path), addSpecialTokens: true);
            int? bos = m.Tokenizer.BosId ?? m.Config.BosTokenId;
            var result = Perplexity.Compute(m.Model, tokens, r.GetValue(ctx), bos,
                format == "json" ? null : (c, ppl) => Console.Error.Write($"[{c + 1}]{ppl:F4} "));
            if (format == "json")
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    perplexity = result.Perplexity,
                    stderr = result.StandardError,
                    chunks = result.Chunks,
                    tokens = result.Tokens,
                    predictions = result.Predictions,
                    running = result.RunningPerChunk,
                }));
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine($"perplexity {result.Perplexity:F4} ± {result.StandardError:F5} ({result.Chunks} chunks of {r.GetValue(ctx)}, {result.Tokens} tokens)");
            }
            return 0;
        });
        return cmd;
    }
}
