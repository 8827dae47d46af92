using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Tokamak.Analysis;
using Tokamak.Engine.Sampling;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak bench</c>: prefill and decode speed on a model, next to this machine's memory bandwidth measured in
/// the same run (decode streams every weight once per token, so bandwidth ÷ weight bytes bounds decode tokens/s).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length to prefill", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens to decode", DefaultValueFactory = _ => 32 };
        var repeats = new Option<int>("--repeats") { Description = "Runs; the median is reported", DefaultValueFactory = _ => 3 };
        var cmd = new Command("bench", "Measure prefill and decode tokens/s against the memory-bandwidth limit");
        o.AddModel(cmd);
        cmd.Add(promptTokens);
        cmd.Add(genTokens);
        cmd.Add(repeats);
        cmd.Add(o.Format);
        cmd.Add(o.Profile);
        cmd.Add(BenchHttpCommand.Create());
        cmd.Add(BenchServeCommand.Create());
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            int np = r.GetValue(promptTokens), ng = r.GetValue(genTokens), reps = r.GetValue(repeats);
            if (np < 1 || ng < 1 || reps < 1) throw new CliException("--prompt-tokens, --gen-tokens and --repeats must be positive");
            using var m = o.Load(r, quiet: format == "json");
            if (np + ng > m.Config.MaxPositions) throw new CliException($"{np} + {ng} tokens exceed the model's context length {m.Config.MaxPositions}");
            var rng = new Xoshiro256(1234);
            int[] prompt = Enumerable.Range(0, np).Select(_ => (int)(rng.NextUInt64() % (ulong)m.Config.VocabSize)).ToArray();
            var prefill = new List<double>();
            var decode = new List<double>();
            using var state = m.Model.CreateState(np + ng, maxChunk: Math.Min(np, 256));
            for (int rep = 0; rep <= reps; rep++) // rep 0 warms up (JIT, page cache)
            {
                state.Reset();
                var sw = Stopwatch.StartNew();
                m.Model.Forward(state, prompt);
                double tp = sw.Elapsed.TotalSeconds;
                sw.Restart();
                for (int i = 0; i < ng; i++) m.Model.Forward(state, [TensorPrimitivesArgmax(state.Logits)]);
                double td = sw.Elapsed.TotalSeconds;
                if (rep == 0 && r.GetValue(o.Profile))
                {
                    // Profile one extra pass apart from the timed ones, so the timers' cost never touches the results.
                    var prof = new Tokamak.Analysis.OpProfiler();
                    m.Model.Profiler = prof;
                    state.Reset();
                    m.Model.Forward(state, prompt);
                    Console.Error.Write(prof.Report($"prefill ({np} tokens)"));
                    prof.Reset();
                    for (int i = 0; i < ng; i++) m.Model.Forward(state, [TensorPrimitivesArgmax(state.Logits)]);
                    Console.Error.Write(prof.Report($"decode (context {np}..{np + ng})"));
                    m.Model.Profiler = null;
                }
                if (rep == 0) continue;
                prefill.Add(np / tp);
                decode.Add(ng / td);
            }
            double bw = MemoryBandwidth.MeasureReadGBs();
            double peak = FmaPeak.MeasureGFlops();
            long bytes = ModelFacts.WeightBytes(m);
            double decodeMedian = Median(decode), prefillMedian = Median(prefill);
            var result = new
            {
                model = m.Weights.Path,
                threads = ComputePool.Shared.Threads,
                prompt_tokens = np,
                gen_tokens = ng,
                prefill_tok_s = Math.Round(prefillMedian, 2),
                decode_tok_s = Math.Round(decodeMedian, 2),
                weight_bytes = bytes,
                decode_weight_gb_s = Math.Round(decodeMedian * bytes / 1e9, 2),
                measured_bandwidth_gb_s = Math.Round(bw, 2),
                decode_limit_tok_s = Math.Round(bw * 1e9 / bytes, 2),
                decode_fraction_of_limit = Math.Round(decodeMedian * bytes / (bw * 1e9), 3),
                fma_peak_gflop_s = Math.Round(peak, 1),
                prefill_gflop_s = Math.Round(prefillMedian * ModelFacts.MatMulFlopsPerToken(m) / 1e9, 1),
            };
            if (format == "json") Console.WriteLine(JsonSerializer.Serialize(result));
            else
            {
                Console.WriteLine($"prefill  {result.prefill_tok_s,10:F1} tok/s  ({np} tokens)");
                Console.WriteLine($"decode   {result.decode_tok_s,10:F1} tok/s  ({ng} tokens) = {result.decode_weight_gb_s:F1} GB/s of weights");
                Console.WriteLine($"limit    {result.decode_limit_tok_s,10:F1} tok/s  (read bandwidth {bw:F1} GB/s ÷ {bytes / 1048576.0:F0} MiB) → {result.decode_fraction_of_limit:P0}");
                Console.WriteLine($"prefill  {result.prefill_gflop_s,10:F1} GFLOP/s of matmuls (F32 FMA peak {peak:F1} GFLOP/s) → {result.prefill_gflop_s / peak:P0}");
            }
            return 0;
        });
        return cmd;
    }

    private static int TensorPrimitivesArgmax(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(x);

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
