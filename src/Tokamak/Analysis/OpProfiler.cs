using System.Diagnostics;
using System.Text;

namespace Tokamak.Analysis;

/// <summary>The kinds of work one forward pass does, as the profiler reports them.</summary>
public enum OpKind
{
    /// <summary>Embedding row lookup and dequantization.</summary>
    Embedding,
    /// <summary>RMSNorm before attention, before the MLP, and the final one.</summary>
    RmsNorm,
    /// <summary>Q, K and V projections.</summary>
    QkvProjection,
    /// <summary>QKV bias, Q/K norm, RoPE and the K/V cache write.</summary>
    RopeAndCache,
    /// <summary>Causal attention over the cache.</summary>
    Attention,
    /// <summary>Attention output projection.</summary>
    OutputProjection,
    /// <summary>MLP gate and up projections.</summary>
    GateUp,
    /// <summary>SiLU(gate) · up.</summary>
    SwiGlu,
    /// <summary>MLP down projection.</summary>
    Down,
    /// <summary>Residual additions.</summary>
    Residual,
    /// <summary>Final projection to vocabulary logits.</summary>
    Logits,
}

/// <summary>
/// Accumulates wall time, FLOPs and bytes moved per <see cref="OpKind"/> so every optimization is measured where it
/// lands. Timing is contiguous: each <see cref="Lap"/> charges the time since the previous one to an op.
/// </summary>
public sealed class OpProfiler
{
    private readonly long[] _ticks = new long[Enum.GetValues<OpKind>().Length];
    private readonly double[] _flops = new double[Enum.GetValues<OpKind>().Length];
    private readonly double[] _bytes = new double[Enum.GetValues<OpKind>().Length];

    /// <summary>Tokens the profiled forward calls processed (for per-token figures).</summary>
    public long Tokens { get; private set; }

    /// <summary>Starts timing; pass the result to <see cref="Lap"/>.</summary>
    public static long Start() => Stopwatch.GetTimestamp();

    /// <summary>Charges the time since <paramref name="since"/> to <paramref name="op"/> and restarts the clock.</summary>
    public void Lap(OpKind op, ref long since, double flops, double bytes)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)op] += now - since;
        _flops[(int)op] += flops;
        _bytes[(int)op] += bytes;
        since = now;
    }

    /// <summary>Counts <paramref name="n"/> processed tokens.</summary>
    public void AddTokens(int n) => Tokens += n;

    /// <summary>Clears all counters.</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_flops);
        Array.Clear(_bytes);
        Tokens = 0;
    }

    /// <summary>Seconds charged to <paramref name="op"/>.</summary>
    public double Seconds(OpKind op) => _ticks[(int)op] / (double)Stopwatch.Frequency;

    /// <summary>FLOPs charged to <paramref name="op"/>.</summary>
    public double Flops(OpKind op) => _flops[(int)op];

    /// <summary>Bytes charged to <paramref name="op"/>.</summary>
    public double Bytes(OpKind op) => _bytes[(int)op];

    /// <summary>A table: per op, time per token, share, GFLOP/s, GB/s and arithmetic intensity.</summary>
    public string Report(string title)
    {
        var sb = new StringBuilder();
        double total = Enum.GetValues<OpKind>().Sum(Seconds);
        long tokens = Math.Max(Tokens, 1);
        sb.AppendLine($"{title}: {Tokens} tokens, {total * 1e3 / tokens:F3} ms/token");
        sb.AppendLine($"  {"op",-17} {"ms/token",9} {"share",6} {"GFLOP/s",9} {"GB/s",8} {"FLOP/B",7}");
        foreach (var op in Enum.GetValues<OpKind>())
        {
            double s = Seconds(op);
            if (s == 0 && Flops(op) == 0) continue;
            double fb = Bytes(op) > 0 ? Flops(op) / Bytes(op) : 0;
            sb.AppendLine($"  {op,-17} {s * 1e3 / tokens,9:F3} {s / Math.Max(total, 1e-12),6:P0} {Flops(op) / Math.Max(s, 1e-12) / 1e9,9:F1} {Bytes(op) / Math.Max(s, 1e-12) / 1e9,8:F1} {fb,7:F2}");
        }
        return sb.ToString();
    }
}
