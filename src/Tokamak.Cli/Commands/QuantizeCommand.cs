using System.CommandLine;
using Tokamak.Quantization;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak quantize</c>: convert any model Tokamak loads to a quantized, self-contained GGUF.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Input model: a Hugging Face folder, a .gguf file or a llama2.c .bin", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf file", Required = true };
        var type = new Option<string>("--type") { Description = $"Type or recipe: {string.Join(", ", QuantRecipe.Names)}", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer folder (tokenizer.json) or llama2.c tokenizer.bin, when not beside the model" };
        var cmd = new Command("quantize", "Convert a model to a GGUF file, quantizing its matrices (round-to-nearest)") { model, output, type, tokenizer };
        cmd.SetAction(r =>
        {
            var recipe = QuantRecipe.Parse(r.GetValue(type)!);
            string outPath = r.GetValue(output)!;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var summary = Quantizer.Run(r.GetValue(model)!, outPath, recipe, r.GetValue(tokenizer), m => Console.Error.WriteLine($"tokamak: {m}"));
            Console.Error.WriteLine($"tokamak: wrote {outPath} ({summary.Architecture}, {recipe.Name}, {summary.Bytes / 1048576.0:F1} MiB) in {sw.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return cmd;
    }
}
