using System.CommandLine;
using Tokamak.Analysis;
using Tokamak.Models.Architectures;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.SmoothQuant;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak smoothquant</c>: runs a model's projections in W8A8 (int8 weights, dynamically quantized int8
/// activations, int8 GEMM) and reports KL divergence and perplexity against the F32 original on an evaluation text:
/// naive per-tensor W8A8, per-channel/per-token W8A8, SmoothQuant at <c>--alpha</c>, and with <c>--outliers T</c>
/// LLM.int8()-style F32 outlier channels (calibration max |x| &gt; T).
/// </summary>
internal static class SmoothQuantCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var calibration = new Option<string>("--calibration") { Description = "Calibration text or JSONL (\"text\" field)", Required = true };
        var samples = new Option<int>("--samples") { Description = "Calibration samples", DefaultValueFactory = _ => 32 };
        var seqLen = new Option<int>("--seq-len") { Description = "Tokens per calibration sample", DefaultValueFactory = _ => 256 };
        var alpha = new Option<double>("--alpha") { Description = "Migration strength α in [0, 1]", DefaultValueFactory = _ => 0.5 };
        var outliers = new Option<float?>("--outliers") { Description = "Keep input channels whose calibration max |x| exceeds this in F32 (LLM.int8 uses 6.0)" };
        var eval = new Option<string>("--eval") { Description = "Text to measure KL divergence and perplexity on", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Evaluation window", DefaultValueFactory = _ => 128 };
        var cmd = new Command("smoothquant", "Run a model in W8A8 (naive, per-token, SmoothQuant, outliers) and compare each with the original (KL, PPL)");
        o.AddModel(cmd);
        foreach (Option x in new Option[] { calibration, samples, seqLen, alpha, outliers, eval, ctx }) cmd.Add(x);
        cmd.SetAction(r =>
        {
            string evalPath = r.GetValue(eval)!;
            if (!File.Exists(evalPath)) throw new CliException($"evaluation text not found: {evalPath}");
            double a = r.GetValue(alpha);
            if (!(a >= 0 && a <= 1)) throw new CliException($"--alpha must be in [0, 1], got {a}");
            if (r.GetValue(outliers) is <= 0) throw new CliException($"--outliers must be positive, got {r.GetValue(outliers)}");
            using var m = o.Load(r);
            var set = CalibrationSet.Load(r.GetValue(calibration)!, m.Tokenizer, r.GetValue(samples), r.GetValue(seqLen));
            var tokens = m.Tokenizer.Encode(File.ReadAllText(evalPath), addSpecialTokens: true);
            var b = KlDivergence.ComputeBase(m.Model, tokens, r.GetValue(ctx), m.Tokenizer.BosId ?? m.Config.BosTokenId);
            var stats = new ChannelMaxCollector(m.Config);
            Calibrator.Run(m.Model, set, stats);
            using var smoothed = Smoother.Apply(m.Model, stats, a);
            var rows = new List<(string Name, Func<LlamaModel> Build)>
            {
                ("w8a8 per-tensor", () => new W8A8Model(m.Model, Int8Granularity.PerTensor).Model),
                ("w8a8 per-token", () => new W8A8Model(m.Model, Int8Granularity.PerChannel).Model),
                ($"smoothquant a={a:0.##}", () => new W8A8Model(smoothed.Model, Int8Granularity.PerChannel).Model),
            };
            if (r.GetValue(outliers) is { } th)
            {
                rows.Add(($"llm.int8 >{th:0.##}", () => new W8A8Model(m.Model, Int8Granularity.PerChannel, stats, th).Model));
                var smoothedStats = new ChannelMaxCollector(m.Config);
                Calibrator.Run(smoothed.Model, set, smoothedStats);
                rows.Add(($"smooth+outliers", () => new W8A8Model(smoothed.Model, Int8Granularity.PerChannel, smoothedStats, th).Model));
            }
            Console.WriteLine($"{"method",-22} {"mean KL",10} {"top-1",8} {"PPL",10}   ({b.Positions} positions)");
            foreach (var (name, build) in rows)
            {
                var k = KlDivergence.Compare(build(), b);
                Console.WriteLine($"{name,-22} {k.MeanKl,10:F6} {k.Top1Agreement,8:P2} {k.Perplexity,10:F4}   (base {k.BasePerplexity:F4})");
            }
            return 0;
        });
        return cmd;
    }
}
