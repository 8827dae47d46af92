using System.Text;
using Tokamak.Models.Architectures;

namespace Tokamak.Analysis.Roofline;

/// <summary>One measured workload with its analytic costs and the roofline's prediction.</summary>
/// <param name="Measured">Wall time and per-op times.</param>
/// <param name="Costs">Analytic FLOPs and bytes per op.</param>
/// <param name="PredictedSeconds">Σ over ops of max(compute time, memory time).</param>
public sealed record RooflineRow(StepMeasurement Measured, OpCost[] Costs, double PredictedSeconds)
{
    /// <summary>Predicted new tokens per second.</summary>
    public double PredictedTokensPerSecond => Measured.Workload.Tokens / PredictedSeconds;
}

/// <summary>Runs the workloads, and formats the per-op and model-level tables.</summary>
public static class RooflineReport
{
    /// <summary>Measures every workload on <paramref name="model"/> and pairs it with its analytic prediction.</summary>
    public static List<RooflineRow> Run(LlamaModel model, MachinePeaks peaks, IEnumerable<Workload> workloads, int repeats, Action<Workload>? onStart = null)
    {
        var types = WeightTypes.Of(model.Weights);
        var rows = new List<RooflineRow>();
        foreach (var w in workloads)
        {
            onStart?.Invoke(w);
            var costs = OpCostModel.Step(model.Config, types, w);
            var m = StepMeasurement.Run(model, w, repeats);
            rows.Add(new RooflineRow(m, costs, OpCostModel.PredictedSeconds(costs, peaks)));
        }
        return rows;
    }

    /// <summary>Per-op table: time, FLOPs, bytes, intensity, achieved and attainable throughput, % of attainable.</summary>
    public static string OpTable(RooflineRow row, MachinePeaks peaks)
    {
        var sb = new StringBuilder();
        var m = row.Measured;
        sb.AppendLine($"{m.Workload.Name}: {m.Workload.Tokens} new tokens after {m.Workload.Context} cached, {m.Seconds * 1e3:F2} ms/step");
        sb.AppendLine($"  {"op",-17} {"ms",8} {"MFLOP",10} {"MB",9} {"FLOP/B",8} {"GFLOP/s",9} {"attain.",9} {"% attain.",9}");
        foreach (var c in row.Costs)
        {
            double s = m.OpSeconds[(int)c.Op];
            double achieved = s > 0 ? c.Flops / s / 1e9 : 0;
            double attainable = c.AttainableGFlops(peaks);
            // Ops without arithmetic are judged by bandwidth: bytes/s against the DRAM ceiling.
            double pct = c.Flops > 0 ? achieved / attainable : s > 0 ? c.Bytes / s / 1e9 / peaks.BandwidthGBs : 0;
            sb.AppendLine($"  {c.Op,-17} {s * 1e3,8:F3} {c.Flops / 1e6,10:F1} {c.Bytes / 1e6,9:F2} {c.ArithmeticIntensity,8:F2} {achieved,9:F1} {attainable,9:F1} {pct,9:P0}");
        }
        return sb.ToString();
    }

    /// <summary>Model level: predicted vs measured tokens/s per workload.</summary>
    public static string ModelTable(IEnumerable<RooflineRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"  {"workload",-16} {"tokens",7} {"predicted tok/s",16} {"measured tok/s",15} {"measured/predicted",19}");
        foreach (var r in rows)
            sb.AppendLine($"  {r.Measured.Workload.Name,-16} {r.Measured.Workload.Tokens,7} {r.PredictedTokensPerSecond,16:F1} {r.Measured.TokensPerSecond,15:F1} {r.Measured.TokensPerSecond / r.PredictedTokensPerSecond,19:P0}");
        return sb.ToString();
    }
}
