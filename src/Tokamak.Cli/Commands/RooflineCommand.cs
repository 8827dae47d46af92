using System.CommandLine;
using Tokamak.Analysis.Roofline;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak roofline</c>: where every op of a running model stands against this machine's limits.</summary>
internal static class RooflineCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var batch = new Option<int>("--batch", "-b") { Description = "Prefill batch (prompts)", DefaultValueFactory = _ => 1 };
        var seq = new Option<int>("--seq") { Description = "Prefill prompt length, and the cached context of decode steps", DefaultValueFactory = _ => 128 };
        var decode = new Option<int[]>("--decode-batches") { Description = "Decode batch sizes to predict and measure", DefaultValueFactory = _ => [1, 2, 4, 8, 16, 32, 64], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per workload", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for roofline.png, roofline.svg and roofline.txt", DefaultValueFactory = _ => "roofline" };
        var cmd = new Command("roofline", "Measure peak bandwidth and compute, place every op of the model on the roofline, predict tokens/s");
        o.AddModel(cmd);
        foreach (Option opt in new Option[] { batch, seq, decode, repeats, output }) cmd.Add(opt);
        cmd.SetAction(r =>
        {
            int b = r.GetValue(batch), s = r.GetValue(seq), reps = r.GetValue(repeats);
            int[] batches = r.GetValue(decode) ?? [];
            if (b < 1 || s < 1) throw new CliException($"--batch and --seq must be positive, got {b} and {s}");
            if (reps < 1) throw new CliException($"--repeats must be positive, got {reps}");
            if (batches.Any(x => x < 1)) throw new CliException("--decode-batches must all be positive");
            using var m = o.Load(r);
            if (s + batches.DefaultIfEmpty(1).Max() > m.Config.MaxPositions)
                throw new CliException($"--seq {s} plus the largest decode batch exceeds the model's {m.Config.MaxPositions} positions");
            m.Weights.Prefetch();
            Console.Error.WriteLine("tokamak: measuring peaks (bandwidth, fp32 FMA, int8 dot)...");
            var peaks = MachinePeaks.Measure();
            var workloads = new List<Workload> { Workload.Prefill(b, s) };
            workloads.AddRange(batches.Distinct().Order().Select(x => Workload.Decode(x, s)));
            var rows = RooflineReport.Run(m.Model, peaks, workloads, reps, w => Console.Error.WriteLine($"tokamak: running {w.Name}"));

            var text = new System.Text.StringBuilder();
            text.AppendLine($"machine: {peaks.Threads} threads, read bandwidth {peaks.BandwidthGBs:F1} GB/s, fp32 FMA {peaks.Fp32GFlops:F0} GFLOP/s, int8 dot (vpmaddwd) {peaks.Int8GOps:F0} GOP/s, ridge {peaks.RidgePoint:F1} FLOP/B");
            text.AppendLine($"model: {m.Name}, weights {WeightTypes.Of(m.Model.Weights)}");
            text.AppendLine("note: decode at batch > 1 is approximated by one sequence appending a chunk of B tokens (logits for all B), in both prediction and measurement.");
            text.AppendLine();
            foreach (var row in rows.Where(x => x.Measured.Workload.Sequences > 1 || x.Measured.Workload.Context == 0 || x.Measured.Workload.Tokens == 1))
                text.AppendLine(RooflineReport.OpTable(row, peaks));
            text.AppendLine("model level (prediction = Σ per-op max(FLOPs/peak, bytes/bandwidth)):");
            text.Append(RooflineReport.ModelTable(rows));

            string dir = r.GetValue(output)!;
            var placed = rows.Where(x => x.Measured.Workload.Context == 0 || x.Measured.Workload.Tokens == 1)
                .SelectMany(x => RooflinePoint.From(x.Measured, x.Costs, peaks)).ToList();
            var (png, svg) = RooflinePlot.Save(peaks, placed, $"Roofline: {m.Name} ({peaks.Threads} threads)", dir);
            File.WriteAllText(Path.Combine(dir, "roofline.txt"), text.ToString());
            Console.Write(text);
            Console.Error.WriteLine($"tokamak: wrote {png}, {svg} and {Path.Combine(dir, "roofline.txt")}");
            return 0;
        });
        return cmd;
    }
}
