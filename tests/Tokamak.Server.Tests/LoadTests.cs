using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Tokamak.Server.Tests;

/// <summary>Many concurrent streaming clients against a bounded queue: each completes or is cleanly refused.</summary>
public sealed class LoadTests
{
    [Fact]
    public async Task Requests_200_at_32_concurrent_complete_or_get_429_and_the_server_returns_to_baseline()
    {
        await using var server = await TestServer.StartAsync(TestModels.TinyStoriesChat, configure: o => o.MaxWaitingRequests = 24);
        double baselineKv = await server.MetricAsync("tokamak_kv_blocks_used");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baselineMemory = GC.GetTotalMemory(forceFullCollection: true);

        var outcomes = new ConcurrentBag<string>();
        var gate = new SemaphoreSlim(32);
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            await gate.WaitAsync();
            try { outcomes.Add(await OneAsync(server, i)); }
            finally { gate.Release(); }
        }).ToArray();
        await Task.WhenAll(tasks);

        Assert.Equal(200, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o is "ok" or "429", o));
        Assert.Contains("ok", outcomes);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(0, await server.MetricAsync("tokamak_requests_in_flight"));
        Assert.Equal(0, await server.MetricAsync("tokamak_requests_running"));
        Assert.Equal(0, await server.MetricAsync("tokamak_requests_waiting"));
        Assert.Equal(baselineKv, await server.MetricAsync("tokamak_kv_blocks_used"));
        Assert.Equal(outcomes.Count(o => o == "429"), await server.MetricAsync("tokamak_requests_rejected_total"));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.InRange(GC.GetTotalMemory(forceFullCollection: true) - baselineMemory, long.MinValue, 64L << 20);
    }

    private static async Task<string> OneAsync(TestServer server, int i)
    {
        var body = new JsonObject
        {
            ["model"] = server.ModelName,
            ["prompt"] = $"Story number {i}: once upon a time",
            ["max_tokens"] = 16,
            ["temperature"] = 0.8,
            ["seed"] = i,
            ["stream"] = true,
        };
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Raw.Json(body.ToJsonString()) };
        using var resp = await server.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        string text = await resp.Content.ReadAsStringAsync();
        if ((int)resp.StatusCode == 429)
        {
            if (resp.Headers.RetryAfter is null) return "429 without Retry-After";
            return JsonNode.Parse(text)?["error"]?["code"]?.ToString() == "queue_full" ? "429" : "429 with a bad body: " + text;
        }
        if (!resp.IsSuccessStatusCode) return $"{(int)resp.StatusCode}: {text}";
        if (!text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal)) return "stream did not end with [DONE]: " + text;
        if (text.Contains("\"error\"", StringComparison.Ordinal)) return "error event: " + text;
        return "ok";
    }
}
