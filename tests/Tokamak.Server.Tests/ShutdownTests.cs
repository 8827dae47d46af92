using System.Text;
using System.Text.Json.Nodes;

namespace Tokamak.Server.Tests;

/// <summary>Stopping the host ends running streams within the shutdown deadline instead of hanging.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stop_with_a_running_stream_finishes_within_the_deadline()
    {
        var server = await TestServer.StartAsync(TestModels.Slow, configure: o => o.ShutdownTimeoutSeconds = 1);
        var body = new JsonObject
        {
            ["model"] = server.ModelName,
            ["prompt"] = "Once upon a time",
            ["max_tokens"] = 1000,
            ["ignore_eos"] = true,
            ["stream"] = true,
        };
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Raw.Json(body.ToJsonString()) };
        using var resp = await server.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data: {", StringComparison.Ordinal)) { }

        var stopping = server.App.StopAsync();
        // The stream ends (finished or cut at the deadline) rather than running on: reading to the end returns.
        try { await reader.ReadToEndAsync(); }
        catch (HttpRequestException) { } // cut mid-chunk at the deadline
        catch (IOException) { }
        await stopping;
        await server.DisposeAsync();
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
