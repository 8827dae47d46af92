using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Tokamak.Cli.Tests;

public class ServeCommandTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task ServesCompletionsAndExitsCleanlyOnSigterm()
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "Tokamak.Cli.dll"), "serve", "--model", TestPaths.Model("stories260k/stories260K.gguf"),
            "--port", port.ToString(), "--served-model-name", "tiny", "--api-key", "sekret" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var log = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync("/health")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !p.HasExited)
                {
                }
                await Task.Delay(200);
            }
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/models")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new("Bearer", "sekret");
            var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models")).RootElement;
            Assert.Equal("tiny", models.GetProperty("data")[0].GetProperty("id").GetString());
            var resp = await http.PostAsJsonAsync("/v1/completions", new { model = "tiny", prompt = "Once upon a time", max_tokens = 12, temperature = 0 });
            var body = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement;
            // Same greedy continuation llama.cpp produces for this model and prompt (shared/reference/llamacpp/stories260K.json).
            Assert.StartsWith(", there was a little girl named Lily", body.GetProperty("choices")[0].GetProperty("text").GetString());
        }
        finally
        {
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            if (!p.WaitForExit(TimeSpan.FromSeconds(30))) p.Kill(entireProcessTree: true);
        }
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("request ", await log + await stdout);
    }

    [Fact]
    public void ServeWithAMissingModelIsAOneLineError() =>
        CliRunner.AssertOneLineError(CliRunner.Run("serve", "--port", "0", "--model", Path.Combine(Path.GetTempPath(), "no-such-model.gguf")), "no-such-model");
}
