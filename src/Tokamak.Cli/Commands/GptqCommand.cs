using System.CommandLine;
using Tokamak.Analysis;
using Tokamak.Quantization;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.Gptq;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak gptq</c>: quantizes a model's projections with GPTQ, writes the result as a GGUF file (<c>--out</c>;
/// projections in Q4_0/Q8_0 blocks as GPTQ chose them, the other matrices by <c>--rest-type</c>) and/or reports KL
/// divergence and perplexity against the original on an evaluation text, next to round-to-nearest (<c>--eval</c>).
/// </summary>
internal static class GptqCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var calibration = new Option<string>("--calibration") { Description = "Calibration text or JSONL (\"text\" field)", Required = true };
        var samples = new Option<int>("--samples") { Description = "Calibration samples", DefaultValueFactory = _ => 32 };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per calibration sample", DefaultValueFactory = _ => 256 };
        var bits = new Option<int>("--bits") { Description = "3, 4 (Q4_0 blocks) or 8 (Q8_0 blocks)", DefaultValueFactory = _ => 4 };
        var group = new Option<int>("--group-size") { Description = "Columns per scale (multiple of 32)", DefaultValueFactory = _ => 32 };
        var actOrder = new Option<bool>("--act-order") { Description = "Quantize columns by decreasing Hessian diagonal" };
        var damp = new Option<double>("--percdamp") { Description = "Dampening as a fraction of the mean Hessian diagonal", DefaultValueFactory = _ => 0.01 };
        var eval = new Option<string?>("--eval") { Description = "Text to measure KL divergence and perplexity on" };
        var output = new Option<string?>("--out", "-o") { Description = "Write the GPTQ model to this .gguf file" };
        var rest = new Option<string>("--rest-type") { Description = "Type of the matrices GPTQ leaves alone (embedding, output) in --out", DefaultValueFactory = _ => "f32" };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Evaluation window", DefaultValueFactory = _ => 128 };
        var cmd = new Command("gptq", "GPTQ-quantize a model; write it as GGUF (--out) and/or compare it (KL, PPL) with the original and with round-to-nearest (--eval)");
        o.AddModel(cmd);
        foreach (Option x in new Option[] { calibration, samples, seqLen, bits, group, actOrder, damp, eval, ctx, output, rest }) cmd.Add(x);
        cmd.SetAction(r =>
        {
            string? evalPath = r.GetValue(eval), outPath = r.GetValue(output);
            if (evalPath is null && outPath is null) throw new CliException("nothing to do: give --out FILE.gguf and/or --eval TEXT");
            if (evalPath is not null && !File.Exists(evalPath)) throw new CliException($"evaluation text not found: {evalPath}");
            var restRecipe = QuantRecipe.Parse(r.GetValue(rest)!);
            var opts = new GptqOptions { Bits = r.GetValue(bits), GroupSize = r.GetValue(group), ActOrder = r.GetValue(actOrder), PercDamp = r.GetValue(damp) };
            opts.Validate();
            using var m = o.Load(r);
            var set = CalibrationSet.Load(r.GetValue(calibration)!, m.Tokenizer, r.GetValue(samples), r.GetValue(seqLen));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var g = LayerwiseQuantizer.Gptq(m.Model, set, opts, s => Console.Error.WriteLine($"tokamak: {s}"));
            Console.Error.WriteLine($"tokamak: GPTQ took {sw.Elapsed.TotalSeconds:F1}s on {set.Count} samples");
            if (outPath is not null)
            {
                var summary = Quantizer.Write(m, r.GetValue(o.Model)!, outPath, restRecipe, r.GetValue(o.Tokenizer),
                    s => Console.Error.WriteLine($"tokamak: {s}"), g.Model.Weights, g.Quantized);
                Console.Error.WriteLine($"tokamak: wrote {outPath} ({summary.Architecture}, GPTQ {opts.Bits}-bit, {summary.Bytes / 1048576.0:F1} MiB)");
            }
            if (evalPath is null) return 0;
            var tokens = m.Tokenizer.Encode(File.ReadAllText(evalPath), addSpecialTokens: true);
            var b = KlDivergence.ComputeBase(m.Model, tokens, r.GetValue(ctx), m.Tokenizer.BosId ?? m.Config.BosTokenId);
            using var rtn = LayerwiseQuantizer.RoundToNearest(m.Model, opts.Bits, opts.GroupSize);
            Console.WriteLine($"{"method",-8} {"mean KL",10} {"top-1",8} {"PPL",10}   (base PPL {b.Positions} positions)");
            foreach (var (name, model) in new[] { ("rtn", rtn.Model), ("gptq", g.Model) })
            {
                var k = KlDivergence.Compare(model, b);
                Console.WriteLine($"{name,-8} {k.MeanKl,10:F6} {k.Top1Agreement,8:P2} {k.Perplexity,10:F4}   (base {k.BasePerplexity:F4})");
            }
            return 0;
        });
        return cmd;
    }
}
