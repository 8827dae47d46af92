using System.CommandLine;
using Tokamak.Analysis;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.Gptq;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak gptq</c>: quantizes a model's projections with GPTQ in memory and reports KL divergence and perplexity
/// against the original on an evaluation text, next to round-to-nearest at the same bits and group size.
/// (Writing the result to a file waits for the GGUF writer.)
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
        var eval = new Option<string>("--eval") { Description = "Text to measure KL divergence and perplexity on", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Evaluation window", DefaultValueFactory = _ => 128 };
        var cmd = new Command("gptq", "GPTQ-quantize a model in memory and compare it (KL, PPL) with the original and with round-to-nearest");
        o.AddModel(cmd);
        foreach (Option x in new Option[] { calibration, samples, seqLen, bits, group, actOrder, damp, eval, ctx }) cmd.Add(x);
        cmd.SetAction(r =>
        {
            if (!File.Exists(r.GetValue(eval)!)) throw new CliException($"evaluation text not found: {r.GetValue(eval)}");
            var opts = new GptqOptions { Bits = r.GetValue(bits), GroupSize = r.GetValue(group), ActOrder = r.GetValue(actOrder), PercDamp = r.GetValue(damp) };
            opts.Validate();
            using var m = o.Load(r);
            var set = CalibrationSet.Load(r.GetValue(calibration)!, m.Tokenizer, r.GetValue(samples), r.GetValue(seqLen));
            var tokens = m.Tokenizer.Encode(File.ReadAllText(r.GetValue(eval)!), addSpecialTokens: true);
            var b = KlDivergence.ComputeBase(m.Model, tokens, r.GetValue(ctx), m.Tokenizer.BosId ?? m.Config.BosTokenId);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var g = LayerwiseQuantizer.Gptq(m.Model, set, opts, s => Console.Error.WriteLine($"tokamak: {s}"));
            Console.Error.WriteLine($"tokamak: GPTQ took {sw.Elapsed.TotalSeconds:F1}s on {set.Count} samples");
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
