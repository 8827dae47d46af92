using System.Text.Json;

namespace Tokamak.Cli.Tests;

/// <summary>The benchmarks run and report consistent fields; no speed is asserted (speed lives in docs/benchmarks.md).</summary>
public class BenchCommandTests
{
    [Fact]
    public void BenchReportsPrefillDecodeAndTheBandwidthLimit()
    {
        var r = CliRunner.Run("bench", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--prompt-tokens", "16", "--gen-tokens", "8",
            "--repeats", "1", "--threads", "2", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(j.GetProperty("prefill_tok_s").GetDouble() > 0);
        Assert.True(j.GetProperty("decode_tok_s").GetDouble() > 0);
        double limit = j.GetProperty("measured_bandwidth_gb_s").GetDouble() * 1e9 / j.GetProperty("weight_bytes").GetInt64();
        Assert.Equal(limit, j.GetProperty("decode_limit_tok_s").GetDouble(), limit * 0.01);
    }

    [Fact]
    public void BenchHttpCompletesEveryRequest()
    {
        var r = CliRunner.Run("bench", "http", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--requests", "6", "--concurrency", "3",
            "--prompt-tokens", "24", "--gen-tokens", "5", "--shared-prefix", "16", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(6, j.GetProperty("completed").GetInt32());
        Assert.Equal(0, j.GetProperty("failed").GetInt32());
        Assert.True(j.GetProperty("throughput_tok_s").GetDouble() > 0);
    }

    [Fact]
    public void ProfilePrintsEveryOpKind()
    {
        var r = CliRunner.Run("bench", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--prompt-tokens", "8", "--gen-tokens", "4",
            "--repeats", "1", "--profile");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (string op in new[] { "QkvProjection", "Attention", "GateUp", "Down", "Logits" }) Assert.Contains(op, r.Stderr);
    }
}
