using System.CommandLine;
using Tokamak.Models;
using Tokamak.Tensors;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak synth</c>: write a random-weight model with a real model's shapes, for speed work.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "A Hugging Face config.json giving the shapes", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "Weight dtype: bf16, f16 or f32", DefaultValueFactory = _ => "bf16" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder whose tokenizer.json / tokenizer_config.json are copied in" };
        var cmd = new Command("synth", "Write a random-weight model (safetensors + config + tokenizer) with a real model's shapes") { config, output, dtype, seed, tokenizer };
        cmd.SetAction(r =>
        {
            var dt = DTypes.Parse(r.GetValue(dtype)!);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            int count = 0;
            var cfg = RandomModelWriter.Write(r.GetValue(config)!, r.GetValue(output)!, dt, r.GetValue(seed), r.GetValue(tokenizer),
                _ => { if (++count % 16 == 0) Console.Error.Write('.'); });
            Console.Error.WriteLine();
            Console.Error.WriteLine($"tokamak: wrote {cfg.Architecture} ({cfg.Layers} layers, hidden {cfg.HiddenSize}, vocab {cfg.VocabSize}) as {DTypes.Name(dt)} to {r.GetValue(output)} in {sw.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return cmd;
    }
}
