using System.Text;
using System.Text.Json.Nodes;

namespace Tokamak.Server.Tests;

/// <summary>A streaming client that goes away mid-generation cancels its request and frees its KV cache.</summary>
public sealed class DisconnectTests
{
    [Fact]
    public async Task Disconnect_after_5_tokens_cancels_and_returns_kv_to_baseline()
    {
        await using var server = await TestServer.StartAsync(TestModels.Slow);
        double baselineUsed = await server.MetricAsync("tokamak_kv_blocks_used");
        double cancelledBefore = await server.MetricAsync("tokamak_requests_cancelled_total");
        double abortedBefore = await server.MetricAsync("tokamak_engine_requests_aborted_total");

        var body = new JsonObject
        {
            ["model"] = server.ModelName,
            ["prompt"] = "Once upon a time",
            ["max_tokens"] = 900,
            ["ignore_eos"] = true,
            ["temperature"] = 0,
            ["stream"] = true,
        };
        // No draining on dispose: the connection really closes, as when a client process goes away.
        using (var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress })
        using (var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Raw.Json(body.ToJsonString()) })
        using (var resp = await SendAsync(client, req))
        {
            Assert.Equal(200, (int)resp.StatusCode);
            using var stream = await resp.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            int tokens = 0;
            while (tokens < 5 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: {", StringComparison.Ordinal)) tokens++;
            Assert.Equal(5, tokens);
            // While generating, the request holds KV blocks.
            Assert.True(await server.MetricAsync("tokamak_kv_blocks_used") > baselineUsed);
        } // disposing the response and client mid-body closes the connection

        // The server notices on its next step; wait for that (bounded), then check the books.
        for (int i = 0; i < 200 && await server.MetricAsync("tokamak_requests_running") > 0; i++) await Task.Delay(25);
        Assert.Equal(0, await server.MetricAsync("tokamak_requests_running"));
        Assert.Equal(baselineUsed, await server.MetricAsync("tokamak_kv_blocks_used"));
        Assert.Equal(abortedBefore + 1, await server.MetricAsync("tokamak_engine_requests_aborted_total"));
        for (int i = 0; i < 200 && await server.MetricAsync("tokamak_requests_cancelled_total") == cancelledBefore; i++) await Task.Delay(25);
        Assert.Equal(cancelledBefore + 1, await server.MetricAsync("tokamak_requests_cancelled_total"));
        // Its log line says it was cancelled after at least the 5 tokens seen and well short of the 900 asked for.
        var logLine = Assert.Single(server.Logs.Entries, e => e.Message.Contains("finish=cancelled")).Message;
        var m = System.Text.RegularExpressions.Regex.Match(logLine, @"completion_tokens=(\d+)");
        Assert.InRange(int.Parse(m.Groups[1].Value), 5, 899);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage req)
    {
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestServer.ApiKey);
        return client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
    }
}
