using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tokamak.Engine.Sampling;
using Tokamak.Server;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak bench http</c>: the real HTTP server (in this process, on a loopback port) under C concurrent streaming
/// clients. Prompts are token-id lists so their lengths are exact; the first <c>--shared-prefix</c> ids are the same for
/// every request (a shared system prompt). Reports generated tokens/s, TTFT and inter-token latency percentiles.
/// </summary>
internal static class BenchHttpCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model path", Required = true };
        var requests = new Option<int>("--requests") { Description = "Requests in total", DefaultValueFactory = _ => 32 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent clients", DefaultValueFactory = _ => 8 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt tokens per request (including the shared prefix)", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens generated per request", DefaultValueFactory = _ => 64 };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "Leading prompt tokens shared by all requests", DefaultValueFactory = _ => 0 };
        var maxNumSeqs = new Option<int>("--max-num-seqs") { Description = "Engine batch limit", DefaultValueFactory = _ => 32 };
        var threads = new Option<int>("--threads", "-t") { Description = "Compute threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var cmd = new Command("http", "Benchmark the OpenAI-compatible HTTP server with concurrent streaming clients")
            { model, requests, concurrency, promptTokens, genTokens, sharedPrefix, maxNumSeqs, threads, format };
        cmd.SetAction(async (r, ct) =>
        {
            int n = r.GetValue(requests), c = r.GetValue(concurrency), p = r.GetValue(promptTokens), g = r.GetValue(genTokens), s = r.GetValue(sharedPrefix);
            if (n < 1 || c < 1 || p < 1 || g < 1 || s < 0 || s > p) throw new CliException("--requests, --concurrency, --prompt-tokens, --gen-tokens must be positive and --shared-prefix ≤ --prompt-tokens");
            ComputePool.Configure(r.GetValue(threads));
            int vocab;
            using (var w = Tokamak.Models.WeightsLoader.Load(r.GetValue(model)!)) vocab = w.Config.VocabSize; // mmap only: cheap
            var options = new ServerOptions { Model = r.GetValue(model), Port = 0, MaxNumSeqs = r.GetValue(maxNumSeqs), MaxWaitingRequests = Math.Max(128, n) };
            await using var app = ServerHost.Build(options, logging: l => l.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync(ct);
            string url = ServerHost.Addresses(app)[0];
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(30) };
            var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models", ct)).RootElement.GetProperty("data")[0];
            string modelId = models.GetProperty("id").GetString()!;

            var rng = new Xoshiro256(7);
            int[] prefix = Enumerable.Range(0, s).Select(_ => Token(ref rng, vocab)).ToArray();
            var prompts = Enumerable.Range(0, n).Select(_ => prefix.Concat(Enumerable.Range(0, p - s).Select(_ => Token(ref rng, vocab))).ToArray()).ToList();

            // Warm-up request (JIT, page cache), not measured.
            await RunOne(http, modelId, prompts[0][..Math.Min(8, p)], 2, ct);
            var results = new List<Sample>();
            int next = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, c).Select(async _ =>
            {
                while (true)
                {
                    int i = Interlocked.Increment(ref next) - 1;
                    if (i >= n) return;
                    var sample = await RunOne(http, modelId, prompts[i], g, ct);
                    lock (results) results.Add(sample);
                }
            }));
            double wall = sw.Elapsed.TotalSeconds;
            await app.StopAsync(ct);

            var ttft = results.Select(x => x.TtftMs).Order().ToList();
            var itl = results.SelectMany(x => x.GapsMs).Order().ToList();
            long generated = results.Sum(x => x.Tokens);
            var report = new
            {
                requests = n,
                concurrency = c,
                prompt_tokens = p,
                gen_tokens = g,
                shared_prefix = s,
                throughput_tok_s = Math.Round(generated / wall, 2),
                ttft_ms_p50 = Math.Round(Pct(ttft, 0.50), 1),
                ttft_ms_p99 = Math.Round(Pct(ttft, 0.99), 1),
                itl_ms_p50 = Math.Round(Pct(itl, 0.50), 1),
                itl_ms_p99 = Math.Round(Pct(itl, 0.99), 1),
                wall_s = Math.Round(wall, 2),
                completed = results.Count(x => x.Completed),
                failed = results.Count(x => !x.Completed),
            };
            if (r.GetValue(format) == "json") Console.WriteLine(JsonSerializer.Serialize(report));
            else
                Console.WriteLine($"{n} requests × {g} tokens at concurrency {c}: {report.throughput_tok_s:F1} tok/s; TTFT p50 {report.ttft_ms_p50:F0} ms p99 {report.ttft_ms_p99:F0} ms; ITL p50 {report.itl_ms_p50:F1} ms p99 {report.itl_ms_p99:F1} ms; {report.failed} failed");
            return 0;
        });
        return cmd;
    }

    private sealed record Sample(double TtftMs, List<double> GapsMs, int Tokens, bool Completed);

    private static int Token(ref Xoshiro256 rng, int vocab) => (int)(rng.NextUInt64() % (ulong)vocab);

    private static async Task<Sample> RunOne(HttpClient http, string model, int[] prompt, int maxTokens, CancellationToken ct)
    {
        var body = new
        {
            model,
            prompt,
            max_tokens = maxTokens,
            temperature = 0,
            ignore_eos = true,
            stream = true,
            stream_options = new { include_usage = true },
        };
        var start = Stopwatch.GetTimestamp();
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(body) };
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        resp.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(ct));
        double ttft = double.NaN;
        long last = 0;
        var gaps = new List<double>();
        int tokens = -1, chunks = 0;
        bool done = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line == "data: [DONE]") done = true;
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || done) continue;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                tokens = usage.GetProperty("completion_tokens").GetInt32();
            if (!chunk.RootElement.TryGetProperty("choices", out var choices) || choices.GetArrayLength() == 0) continue;
            long now = Stopwatch.GetTimestamp();
            chunks++;
            if (double.IsNaN(ttft)) ttft = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
            else gaps.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
            last = now;
        }
        // Usage is authoritative; without it (a stream cut short) count content chunks.
        return new Sample(ttft, gaps, tokens >= 0 ? tokens : chunks, done);
    }

    private static double Pct(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
