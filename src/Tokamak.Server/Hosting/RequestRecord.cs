using System.Diagnostics;

namespace Tokamak.Server.Hosting;

/// <summary>What one request did, filled in by its handler and logged as one line when it ends.</summary>
internal sealed class RequestRecord
{
    private static long _next;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastToken;

    public string Id { get; } = "req-" + Interlocked.Increment(ref _next).ToString("x8");
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public double? TtftSeconds { get; private set; }
    public string? FinishReason { get; set; }
    public bool Cancelled { get; set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Notes a generated token; returns the gap since the previous one (null for the first).</summary>
    public double? TokenArrived()
    {
        long now = Stopwatch.GetTimestamp();
        CompletionTokens++;
        double? gap = _lastToken == 0 ? null : Stopwatch.GetElapsedTime(_lastToken, now).TotalSeconds;
        if (_lastToken == 0) TtftSeconds = Stopwatch.GetElapsedTime(_start, now).TotalSeconds;
        _lastToken = now;
        return gap;
    }

    public static RequestRecord Of(HttpContext ctx) => (RequestRecord)ctx.Items[typeof(RequestRecord)]!;
}
