using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Engine.Sampling;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak bench serve</c>: a serving benchmark that drives <see cref="LlmEngine"/> in-process. C client tasks
/// each submit one request at a time (random prompt tokens behind an optional shared prefix, greedy, exactly G
/// output tokens) until N requests have run, and the command reports generated tokens/s, time to first token and
/// inter-token latency percentiles, and step-averaged KV utilization and waste.
/// </summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var requests = new Option<int>("--requests") { Description = "Requests to run (after the warm-up)", DefaultValueFactory = _ => 32 };
        var concurrency = new Option<int>("--concurrency") { Description = "Client tasks, each with one request in flight", DefaultValueFactory = _ => 4 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length (shared prefix included)", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens generated per request (EOS ignored)", DefaultValueFactory = _ => 64 };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "Leading prompt tokens identical across requests", DefaultValueFactory = _ => 0 };
        var batching = new Option<string>("--batching") { Description = "continuous or static", DefaultValueFactory = _ => "continuous" };
        var noPrefixCache = new Option<bool>("--no-prefix-cache") { Description = "Disable automatic prefix caching" };
        var blockSize = new Option<int>("--block-size") { Description = "KV block size in tokens", DefaultValueFactory = _ => 16 };
        var maxBatched = new Option<int>("--max-batched-tokens") { Description = "Token budget per step", DefaultValueFactory = _ => 512 };
        var kvMb = new Option<int?>("--kv-cache-mb") { Description = "KV cache size (default: what the concurrency needs, twice over)" };
        var kvDType = new Option<string>("--kv-cache-dtype") { Description = "KV cache element type: f32 or int8", DefaultValueFactory = _ => "f32" };
        var staticTimeout = new Option<int>("--static-timeout-ms") { Description = "Static batching: longest wait for a full batch", DefaultValueFactory = _ => 100 };
        var genDist = new Option<string>("--gen-dist") { Description = "Output lengths: fixed (all G) or uniform (1 .. 2G−1, mean G)", DefaultValueFactory = _ => "fixed" };
        var warmup = new Option<int>("--warmup") { Description = "Requests run first and not measured (JIT, caches)", DefaultValueFactory = _ => 1 };

        var cmd = new Command("serve", "Serving benchmark: throughput, TTFT and inter-token latency, KV utilization and waste of the engine under concurrent requests");
        o.AddModel(cmd);
        foreach (Option x in new Option[] { requests, concurrency, promptTokens, genTokens, sharedPrefix, batching, genDist, noPrefixCache, blockSize, maxBatched, kvMb, kvDType, staticTimeout, warmup })
            cmd.Add(x);
        cmd.Add(o.Format);
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            int n = r.GetValue(requests), c = r.GetValue(concurrency), np = r.GetValue(promptTokens), ng = r.GetValue(genTokens);
            int shared = r.GetValue(sharedPrefix), bs = r.GetValue(blockSize), budget = r.GetValue(maxBatched), warm = r.GetValue(warmup);
            string mode = r.GetValue(batching) ?? "continuous";
            string dist = r.GetValue(genDist) ?? "fixed";
            if (dist is not ("fixed" or "uniform")) throw new CliException($"--gen-dist must be fixed or uniform, got '{dist}'");
            if (n < 1 || c < 1 || np < 1 || ng < 1) throw new CliException("--requests, --concurrency, --prompt-tokens and --gen-tokens must be positive");
            if (shared < 0 || shared > np) throw new CliException($"--shared-prefix must be between 0 and --prompt-tokens ({np}), got {shared}");
            if (warm < 0) throw new CliException($"--warmup must not be negative, got {warm}");
            var batchingMode = mode switch
            {
                "continuous" => BatchingMode.Continuous,
                "static" => BatchingMode.Static,
                _ => throw new CliException($"--batching must be continuous or static, got '{mode}'"),
            };

            using var m = o.Load(r, quiet: format == "json");
            int maxGen = dist == "uniform" ? 2 * ng - 1 : ng;
            if (np + maxGen > m.Config.MaxPositions) throw new CliException($"{np} + {ng} tokens exceed the model's context length {m.Config.MaxPositions}");
            var kvType = ParseKvDType(r.GetValue(kvDType)!);
            var spec = new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, bs, kvType);
            long kvBytes = r.GetValue(kvMb) is { } mb
                ? (long)mb * 1024 * 1024
                : 2L * c * spec.BlocksForTokens(np + maxGen) * spec.BytesPerBlock + (long)spec.BlocksForTokens(shared) * spec.BytesPerBlock;
            var options = new EngineOptions
            {
                KvCacheBytes = kvBytes,
                BlockSize = bs,
                KvCacheDType = kvType,
                MaxNumSeqs = Math.Max(c, 1),
                MaxBatchedTokens = Math.Max(budget, c),
                EnablePrefixCaching = !r.GetValue(noPrefixCache),
                Batching = batchingMode,
                StaticBatchSize = c,
                StaticBatchTimeout = TimeSpan.FromMilliseconds(r.GetValue(staticTimeout)),
                MaxModelLength = np + maxGen + 1,
            };
            using var engine = new LlmEngine(m.Config, m.Weights.Weights, m.Tokenizer, options);

            // Prompt ids drawn below the tokenizer's vocabulary so every prompt decodes; the prefix is shared.
            var rng = new Xoshiro256(1234);
            int vocab = Math.Min(m.Config.VocabSize, m.Tokenizer.VocabSize);
            int RandomToken() => (int)(rng.NextUInt64() % (ulong)vocab);
            int[] prefix = Enumerable.Range(0, shared).Select(_ => RandomToken()).ToArray();
            int[][] prompts = Enumerable.Range(0, warm + n).Select(_ => prefix.Concat(Enumerable.Range(0, np - shared).Select(_ => RandomToken())).ToArray()).ToArray();
            var sampling = new SamplingParams { Temperature = 0, MaxTokens = ng, IgnoreEos = true };
            var lengths = Enumerable.Range(0, warm + n).Select(_ => dist == "uniform" ? 1 + (int)(rng.NextUInt64() % (ulong)maxGen) : ng).ToArray();

            if (format != "json") Console.Error.WriteLine($"tokamak: {engine.NumKvBlocks} KV blocks of {bs}; warming up with {warm} request(s)");
            for (int i = 0; i < warm; i++) RunOne(engine, $"warm{i}", prompts[i], sampling with { MaxTokens = lengths[i] }).GetAwaiter().GetResult();

            var before = engine.Metrics;
            var timings = new RequestTiming[n];
            int next = -1;
            long t0 = Stopwatch.GetTimestamp();
            var clients = Enumerable.Range(0, c).Select(_ => Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < n; i = Interlocked.Increment(ref next))
                    timings[i] = await RunOne(engine, $"r{i}", prompts[warm + i], sampling with { MaxTokens = lengths[warm + i] });
            })).ToArray();
            var peak = before;
            while (!Task.WaitAll(clients, 20))
            {
                var now = engine.Metrics;
                if (now.KvBlocksUsed > peak.KvBlocksUsed) peak = now;
            }
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var after = engine.Metrics;

            var ttft = timings.Select(t => t.TtftMs).ToList();
            var itl = timings.SelectMany(t => t.ItlMs).ToList();
            var e2e = timings.Select(t => t.TotalMs).ToList();
            long generated = after.TotalGenerationTokens - before.TotalGenerationTokens;
            long steps = after.Steps - before.Steps;
            double slotSteps = after.KvAllocatedSlotSteps - before.KvAllocatedSlotSteps;
            double unfilledSteps = after.KvUnfilledSlotSteps - before.KvUnfilledSlotSteps;
            var result = new
            {
                model = m.Weights.Path,
                threads = ComputePool.Shared.Threads,
                requests = n,
                concurrency = c,
                prompt_tokens = np,
                gen_tokens = ng,
                gen_dist = dist,
                shared_prefix = shared,
                batching = mode,
                prefix_cache = options.EnablePrefixCaching,
                block_size = bs,
                kv_blocks = engine.NumKvBlocks,
                max_batched_tokens = options.MaxBatchedTokens,
                duration_s = Math.Round(wall, 3),
                throughput_gen_tok_s = Math.Round(generated / wall, 2),
                throughput_total_tok_s = Math.Round((generated + (long)n * np) / wall, 2),
                ttft_ms = Summary(ttft),
                itl_ms = Summary(itl),
                latency_ms = Summary(e2e),
                kv_utilization_avg = steps == 0 ? 0 : Math.Round(slotSteps / ((double)steps * engine.NumKvBlocks * bs), 4),
                kv_utilization_peak = Math.Round(peak.KvUsage, 4),
                kv_waste_pct_avg = slotSteps == 0 ? 0 : Math.Round(100 * unfilledSteps / slotSteps, 3),
                prefix_cache_hit_rate = Math.Round(HitRate(before, after), 4),
                prefill_tokens_computed = after.TotalPrefillTokens - before.TotalPrefillTokens,
                preemptions = after.Preemptions - before.Preemptions,
                steps,
                mean_tokens_per_step = steps == 0 ? 0 : Math.Round((double)(after.TotalComputedTokens - before.TotalComputedTokens) / steps, 2),
            };
            if (format == "json") Console.WriteLine(JsonSerializer.Serialize(result));
            else
            {
                Console.WriteLine($"{mode} batching, {n} requests × ({np} prompt{(shared > 0 ? $", {shared} shared" : "")} + {(dist == "uniform" ? "~" : "")}{ng} generated), concurrency {c}, prefix cache {(options.EnablePrefixCaching ? "on" : "off")}");
                Console.WriteLine($"throughput   {result.throughput_gen_tok_s,10:F1} generated tok/s   ({result.throughput_total_tok_s:F1} incl. prompts) in {wall:F2}s");
                Console.WriteLine($"TTFT         p50 {result.ttft_ms.p50,9:F1} ms   p99 {result.ttft_ms.p99,9:F1} ms");
                Console.WriteLine($"inter-token  p50 {result.itl_ms.p50,9:F1} ms   p99 {result.itl_ms.p99,9:F1} ms");
                Console.WriteLine($"KV           utilization avg {result.kv_utilization_avg:P1} peak {result.kv_utilization_peak:P1}, waste {result.kv_waste_pct_avg:F2}% of allocated slots, prefix hits {result.prefix_cache_hit_rate:P1}, {result.preemptions} preemptions");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs one request to the end, timing its first token and the gaps between later ones.</summary>
    private static async Task<RequestTiming> RunOne(LlmEngine engine, string id, int[] prompt, SamplingParams sampling)
    {
        long start = Stopwatch.GetTimestamp();
        var h = engine.Submit(new EngineRequest { RequestId = id, PromptTokenIds = prompt, Sampling = sampling });
        long last = 0;
        double ttft = 0;
        var itl = new List<double>(sampling.MaxTokens);
        await foreach (var e in h)
        {
            if (e.TokenId < 0) continue;
            long now = Stopwatch.GetTimestamp();
            if (last == 0) ttft = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
            else itl.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
            last = now;
        }
        await h.Completion;
        return new RequestTiming(ttft, itl, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>Prefix-cache hit ratio of the prompt tokens looked up between two snapshots.</summary>
    private static double HitRate(EngineMetrics before, EngineMetrics after)
    {
        long queried = after.PrefixCacheQueriedTokens - before.PrefixCacheQueriedTokens;
        return queried <= 0 ? 0 : (double)(after.PrefixCacheHitTokens - before.PrefixCacheHitTokens) / queried;
    }

    private static Percentiles Summary(List<double> xs)
    {
        if (xs.Count == 0) return new Percentiles(0, 0, 0, 0);
        xs.Sort();
        double P(double q) => xs[Math.Clamp((int)Math.Ceiling(q * xs.Count) - 1, 0, xs.Count - 1)]; // nearest rank
        return new Percentiles(Math.Round(xs.Average(), 2), Math.Round(P(0.5), 2), Math.Round(P(0.99), 2), Math.Round(xs[^1], 2));
    }

    private static KvCacheDType ParseKvDType(string name)
    {
        try { return KvCacheSpec.ParseDType(name); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }

    private sealed record RequestTiming(double TtftMs, List<double> ItlMs, double TotalMs);

    private sealed record Percentiles(double mean, double p50, double p99, double max);
}
