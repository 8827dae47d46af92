using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Tokamak.Server.Backend;

namespace Tokamak.Server.Metrics;

/// <summary>The server's own counters and latency histograms, rendered with the backend's gauges as Prometheus text.</summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly double[] TokenBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private long _cancelled, _rejected, _promptTokens, _generationTokens;

    internal Histogram RequestDuration { get; } = new("tokamak_request_duration_seconds", "End-to-end request latency.", LatencyBounds);
    internal Histogram TimeToFirstToken { get; } = new("tokamak_time_to_first_token_seconds", "Time from request arrival to the first generated token.", LatencyBounds);
    internal Histogram InterTokenLatency { get; } = new("tokamak_inter_token_latency_seconds", "Time between consecutive generated tokens of a stream.", TokenBounds);

    /// <summary>Requests whose client went away or that were aborted before finishing.</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Requests refused because the waiting queue was full or the server was stopping.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    internal void RequestFinished(string endpoint, int status, double seconds)
    {
        _requests.AddOrUpdate((endpoint, status), 1, (_, v) => v + 1);
        RequestDuration.Observe(seconds);
    }

    internal void AddCancelled() => Interlocked.Increment(ref _cancelled);
    internal void AddRejected() => Interlocked.Increment(ref _rejected);

    internal void AddTokens(int prompt, int generated)
    {
        Interlocked.Add(ref _promptTokens, prompt);
        Interlocked.Add(ref _generationTokens, generated);
    }

    /// <summary>Prometheus text exposition (version 0.0.4) of everything, with <paramref name="backend"/>'s gauges.</summary>
    public string Render(BackendMetrics backend, int inFlight)
    {
        var sb = new StringBuilder();
        void Metric(string name, string type, string help, string value)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(name).Append(' ').Append(value).Append('\n');
        }
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        Metric("tokamak_kv_blocks_used", "gauge", "KV cache blocks held by running sequences.", I(backend.KvBlocksUsed));
        Metric("tokamak_kv_blocks_free", "gauge", "KV cache blocks free.", I(backend.KvBlocksFree));
        Metric("tokamak_kv_blocks_cached", "gauge", "KV cache blocks kept for prefix reuse.", I(backend.KvBlocksCached));
        Metric("tokamak_kv_block_size", "gauge", "Positions per KV cache block.", I(backend.KvBlockSize));
        Metric("tokamak_requests_running", "gauge", "Sequences being generated.", I(backend.RequestsRunning));
        Metric("tokamak_requests_waiting", "gauge", "Requests queued for the engine.", I(backend.RequestsWaiting));
        Metric("tokamak_requests_in_flight", "gauge", "HTTP generation requests admitted and not yet finished.", I(inFlight));
        Metric("tokamak_prefix_cache_hit_ratio", "gauge", "Share of prompt tokens served from the prefix cache.",
            backend.PrefixCacheHitRatio.ToString("R", CultureInfo.InvariantCulture));
        Metric("tokamak_engine_requests_aborted_total", "counter", "Requests the engine aborted before they finished.", I(backend.RequestsCancelled));
        Metric("tokamak_requests_cancelled_total", "counter", "HTTP requests cancelled by client disconnect or shutdown.", I(Cancelled));
        Metric("tokamak_requests_rejected_total", "counter", "HTTP requests refused with 429/503 (queue full or stopping).", I(Rejected));
        Metric("tokamak_prompt_tokens_total", "counter", "Prompt tokens processed.", I(Interlocked.Read(ref _promptTokens)));
        Metric("tokamak_generation_tokens_total", "counter", "Tokens generated.", I(Interlocked.Read(ref _generationTokens)));

        sb.Append("# HELP tokamak_http_requests_total HTTP requests by endpoint and status.\n# TYPE tokamak_http_requests_total counter\n");
        foreach (var ((endpoint, status), count) in _requests.OrderBy(kv => kv.Key.Endpoint, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            sb.Append("tokamak_http_requests_total{endpoint=\"").Append(endpoint).Append("\",status=\"").Append(status).Append("\"} ").Append(I(count)).Append('\n');
        RequestDuration.WriteTo(sb);
        TimeToFirstToken.WriteTo(sb);
        InterTokenLatency.WriteTo(sb);
        return sb.ToString();
    }
}
