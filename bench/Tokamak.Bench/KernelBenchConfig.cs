using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Tokamak.Bench;

/// <summary>
/// Short in-process runs (the host's 2 cores are shared, so kernels are measured in seconds, not minutes) with
/// throughput columns next to the times.
/// </summary>
public sealed class KernelBenchConfig : ManualConfig
{
    public KernelBenchConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithIterationTime(TimeInterval.FromMilliseconds(150)));
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddColumn(new ThroughputColumn(ThroughputColumn.Kind.Bandwidth), new ThroughputColumn(ThroughputColumn.Kind.Compute));
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
        AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub);
    }
}
