using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Tokamak.Bench;

/// <summary>
/// GB/s (bytes read ÷ mean time) or GFLOP/s (operations ÷ mean time) of a benchmark implementing
/// <see cref="IThroughputBenchmark"/>. The work per invocation is read from a fresh instance with the case's
/// parameters applied, so it always matches what ran.
/// </summary>
public sealed class ThroughputColumn(ThroughputColumn.Kind kind) : IColumn
{
    public enum Kind { Bandwidth, Compute }

    public string Id => $"Throughput.{kind}";
    public string ColumnName => kind == Kind.Bandwidth ? "GB/s" : "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => kind == Kind.Bandwidth
        ? "Bytes read per invocation (weights) ÷ mean time, 10^9 B/s"
        : "Floating-point operations per invocation (2·n·out·in) ÷ mean time, 10^9/s";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics == null) return "-";
        if (Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IThroughputBenchmark bench) return "-";
        foreach (var p in benchmarkCase.Parameters.Items)
            benchmarkCase.Descriptor.Type.GetProperty(p.Name)?.SetValue(bench, p.Value);
        double work = kind == Kind.Bandwidth ? bench.BytesPerInvocation : bench.FlopsPerInvocation;
        if (work <= 0) return "-";
        return (work / report.ResultStatistics.Mean).ToString("F1"); // bytes per ns = GB/s
    }
}
