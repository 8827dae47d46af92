using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Engine.Sampling;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine;

/// <summary>
/// The serving engine's acceptance criteria on tinystories-656k: greedy output is the single-sequence
/// (<see cref="Models.Architectures.LlamaModel.Forward"/>) output whether a request runs alone, in a batch of 64, after
/// preemption or from the prefix cache; block accounting is exact after every step of random workloads; a cached
/// 300-token prefix leaves only the suffix to compute.
/// </summary>
public class EngineAcceptanceTests
{
    private static readonly string[] Texts = LlmEngineTests.Prompts;

    private static SamplingParams Greedy(int maxTokens, bool ignoreEos = false) => new() { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = ignoreEos };

    private static long BlockBytes(EngineTestModel m, int blockSize) =>
        new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, blockSize).BytesPerBlock;

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>64 distinct prompts of 2..~60 tokens with 4..43 output tokens (some stop at EOS first).</summary>
    private static (int[] Prompt, int MaxTokens)[] MixedWorkload(EngineTestModel m, int count)
    {
        var seen = new HashSet<string>();
        var list = new List<(int[], int)>();
        for (int i = 0; list.Count < count; i++)
        {
            var full = m.Encode(Texts[i % Texts.Length] + " " + Texts[(i / Texts.Length + 1) % Texts.Length]);
            var prompt = full.Take(2 + i * 13 % (full.Length - 1)).ToArray();
            if (seen.Add(StepAudit.Key(prompt))) list.Add((prompt, 4 + i * 11 % 40));
        }
        return [.. list];
    }

    [Fact]
    public async Task GreedyOutputIsTheSameAloneAndInABatchOf64MixedLengthRequests()
    {
        using var m = new EngineTestModel();
        var work = MixedWorkload(m, 64);
        var expected = work.Select(w => m.Greedy(w.Prompt, w.MaxTokens)).ToArray();
        Assert.True(expected.Select(e => e.Count).Distinct().Count() > 10, "output lengths should be mixed");
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 1024 * BlockBytes(m, 16), MaxNumSeqs = 64, MaxBatchedTokens = 512 });
        var audit = new StepAudit(engine);

        // Alone: one request at a time.
        for (int i = 0; i < 64; i += 9)
        {
            var h = engine.Submit(new EngineRequest { RequestId = $"alone{i}", PromptTokenIds = work[i].Prompt, Sampling = Greedy(work[i].MaxTokens) });
            Assert.Equal(expected[i], (await EngineTestModel.Collect(h).WaitAsync(Limit)).Tokens[0]);
        }
        Assert.Equal(1, audit.MaxSequencesInStep);

        // Together: all 64 submitted at once.
        var handles = work.Select((w, i) => engine.Submit(new EngineRequest { RequestId = $"b{i}", PromptTokenIds = w.Prompt, Sampling = Greedy(w.MaxTokens) })).ToArray();
        for (int i = 0; i < handles.Length; i++)
            Assert.Equal(expected[i], (await EngineTestModel.Collect(handles[i]).WaitAsync(Limit)).Tokens[0]);
        audit.ThrowIfFailed();
        Assert.True(audit.MaxSequencesInStep >= 32, $"at most {audit.MaxSequencesInStep} sequences ran together; the test means to batch many");
        Assert.Equal(0, audit.Preemptions);
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Fact]
    public async Task PreemptedRequestsResumeWithIdenticalGreedyOutput()
    {
        using var m = new EngineTestModel();
        // 16 blocks of 4 tokens: each request (≤ 20 + 30 tokens) fits alone, six together do not.
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 16 * BlockBytes(m, 4), BlockSize = 4, MaxBatchedTokens = 8, MaxNumSeqs = 6 });
        var prompts = Texts.Select(t => m.Encode(t).Take(20).ToArray()).ToArray();
        var preempted = new HashSet<string>();
        var audit = new StepAudit(engine, (_, step, _) =>
        {
            foreach (var r in step.Preempted) preempted.Add(StepAudit.Key(r.PromptTokens));
        });
        var handles = prompts.Select((p, i) => engine.Submit(new EngineRequest { RequestId = $"p{i}", PromptTokenIds = p, Sampling = Greedy(30, ignoreEos: true) })).ToArray();
        var outputs = new List<int>[prompts.Length];
        for (int i = 0; i < prompts.Length; i++) outputs[i] = (await EngineTestModel.Collect(handles[i]).WaitAsync(Limit)).Tokens[0];
        audit.ThrowIfFailed();

        var victims = Enumerable.Range(0, prompts.Length).Where(i => preempted.Contains(StepAudit.Key(prompts[i]))).ToList();
        Assert.NotEmpty(victims);
        foreach (int i in victims) Assert.Equal(m.Greedy(prompts[i], 30, ignoreEos: true), outputs[i]);
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Theory]
    [InlineData(4)]   // 300 is a whole number of blocks: exactly the suffix is computed
    [InlineData(16)]  // the default: the prefix's partial last block (300 mod 16 = 12 tokens) is computed too
    public async Task SecondRequestWithTheSame300TokenPrefixComputesOnlyItsSuffixAndMatchesGreedy(int blockSize)
    {
        using var m = new EngineTestModel();
        Assert.True(m.Config.MaxPositions >= 512);
        var start = m.Encode(Texts[0]);
        int[] prefix = [.. start, .. m.Greedy(start, 300 - start.Length, ignoreEos: true)];
        Assert.Equal(300, prefix.Length);
        // Skip BOS and the word-boundary piece the two texts share, so the suffixes differ from their first token.
        int[] a = [.. prefix, .. m.Encode(Texts[1])[2..]];
        int[] b = [.. prefix, .. m.Encode(Texts[3])[2..]];
        Assert.NotEqual(a[300], b[300]);
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 4096 / blockSize * BlockBytes(m, blockSize), BlockSize = blockSize });
        var audit = new StepAudit(engine);

        var ra = await EngineTestModel.Collect(engine.Submit(new EngineRequest { RequestId = "a", PromptTokenIds = a, Sampling = Greedy(10) })).WaitAsync(Limit);
        Assert.Equal(0, ra.Usage!.CachedPromptTokens);
        long prefillBefore = engine.Metrics.TotalPrefillTokens;
        Assert.Equal(a.Length, prefillBefore);

        var rb = await EngineTestModel.Collect(engine.Submit(new EngineRequest { RequestId = "b", PromptTokenIds = b, Sampling = Greedy(10) })).WaitAsync(Limit);
        int cached = 300 / blockSize * blockSize;
        Assert.Equal(cached, rb.Usage!.CachedPromptTokens);
        Assert.Equal(b.Length - cached, engine.Metrics.TotalPrefillTokens - prefillBefore);
        if (blockSize == 4) Assert.Equal(b.Length - 300, engine.Metrics.TotalPrefillTokens - prefillBefore);
        Assert.Equal(m.Greedy(b, 10), rb.Tokens[0]);
        Assert.Equal(m.Greedy(a, 10), ra.Tokens[0]);
        audit.ThrowIfFailed();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task BlockAccountingIsExactAfterEveryStepOfARandomWorkload(int seed)
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 28 * BlockBytes(m, 4), BlockSize = 4, MaxBatchedTokens = 16, MaxNumSeqs = 6 });
        var audit = new StepAudit(engine);
        var rng = new Random(seed);
        var tasks = new List<Task<(EngineTestModel.Result, EngineRequest)>>();
        int beams = 0, forks = 0;
        for (int i = 0; i < 36; i++)
        {
            // Prompts share beginnings so prefix-cache hits and evictions happen too.
            var prompt = m.Encode(Texts[rng.Next(3)] + " " + Texts[rng.Next(Texts.Length)]).Take(rng.Next(2, 48)).ToArray();
            bool beam = rng.Next(4) == 0;
            var req = new EngineRequest
            {
                RequestId = $"w{i}", PromptTokenIds = prompt,
                Sampling = new SamplingParams { Temperature = rng.Next(2) == 0 ? 0 : 1, MaxTokens = rng.Next(1, 24), Seed = (ulong)i, IgnoreEos = rng.Next(2) == 0 },
                UseBeamSearch = beam, BeamWidth = beam ? rng.Next(1, 4) : 4,
            };
            req = req with { N = beam ? rng.Next(1, req.BeamWidth + 1) : rng.Next(1, 4) };
            if (beam) beams++;
            else if (req.N > 1) forks++;
            // 0: read to the end; 1: abort at once; 2: abort after a few events.
            int mode = rng.Next(6) switch { 0 => 1, 1 => 2, _ => 0 };
            int after = rng.Next(1, 6);
            var h = engine.Submit(req);
            tasks.Add(Task.Run(async () =>
            {
                if (mode == 1) h.Abort();
                int seen = 0;
                var r = await EngineTestModel.Collect(h, req.N, _ => { if (mode == 2 && ++seen == after) h.Abort(); });
                return (r, req);
            }));
            if (rng.Next(3) == 0) await Task.Delay(rng.Next(5));
        }
        var results = await Task.WhenAll(tasks).WaitAsync(Limit);
        audit.ThrowIfFailed();

        Assert.True(beams > 0 && forks > 0);
        Assert.Contains(results, x => x.Item1.Finish.Contains(FinishReason.Abort));
        Assert.True(audit.Preemptions > 0, "the KV budget was meant to force preemption");
        var metrics = engine.Metrics;
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(0, metrics.RunningSequences + metrics.WaitingSequences + metrics.ActiveRequests);
        Assert.Equal(metrics.KvBlocksTotal, metrics.KvBlocksFree + metrics.KvBlocksCached);
    }

    [Fact]
    public async Task StaticBatchingRunsEachBatchToCompletionBeforeAdmittingTheNext()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions
        {
            KvCacheBytes = 256 * BlockBytes(m, 16), Batching = BatchingMode.Static, StaticBatchSize = 3,
            StaticBatchTimeout = TimeSpan.FromMilliseconds(30),
        });
        var prompts = Texts.Select(m.Encode).Append(m.Encode(Texts[0]).Take(5).ToArray()).ToArray(); // 7 distinct
        var maxTokens = prompts.Select((_, i) => 3 + 7 * i % 25).ToArray();
        var index = prompts.Select((p, i) => (StepAudit.Key(p), i)).ToDictionary(x => x.Item1, x => x.i);
        var first = new int[prompts.Length];
        var last = new int[prompts.Length];
        Array.Fill(first, -1);
        int maxRunningRequests = 0;
        var audit = new StepAudit(engine, (_, step, metrics) =>
        {
            maxRunningRequests = Math.Max(maxRunningRequests, metrics.RunningRequests);
            foreach (var s in step.Sequences)
            {
                int i = index[StepAudit.Key(s.Request.PromptTokens)];
                if (first[i] < 0) first[i] = (int)step.Index;
                last[i] = (int)step.Index;
            }
        });
        var handles = prompts.Select((p, i) => engine.Submit(new EngineRequest { RequestId = $"s{i}", PromptTokenIds = p, Sampling = Greedy(maxTokens[i], ignoreEos: true) })).ToArray();
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(m.Greedy(prompts[i], maxTokens[i], ignoreEos: true), (await EngineTestModel.Collect(handles[i]).WaitAsync(Limit)).Tokens[0]);
        audit.ThrowIfFailed();

        // Batches in submission order: {0,1,2}, {3,4,5}, {6} (the last admitted by the timeout).
        int[][] batches = [[0, 1, 2], [3, 4, 5], [6]];
        for (int k = 1; k < batches.Length; k++)
        {
            int previousEnd = batches[k - 1].Max(i => last[i]);
            Assert.All(batches[k], i => Assert.True(first[i] > previousEnd, $"request {i} started at step {first[i]} before batch {k - 1} ended at step {previousEnd}"));
        }
        // Within a batch the outputs have different lengths, so continuous batching would have admitted earlier.
        Assert.True(batches[0].Select(i => last[i]).Distinct().Count() > 1);
        Assert.Equal(3, maxRunningRequests);
    }

    [Fact]
    public async Task MetricsReportBlocksWasteAndTokensAsTheRequestsImply()
    {
        using var m = new EngineTestModel();
        const int bs = 8;
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, bs), BlockSize = bs, EnablePrefixCaching = false, MaxBatchedTokens = 32, MaxNumSeqs = 3 });
        var prompts = Texts.Select(m.Encode).ToArray();
        double allocatedSlotSteps = 0, unfilledSlotSteps = 0;
        var audit = new StepAudit(engine, (sched, step, metrics) =>
        {
            // Independent expectation from the requests' computed lengths: ⌈c / bs⌉ blocks each, the rest of the last one unfilled.
            int used = 0, unfilled = 0;
            foreach (var r in sched.Running)
            {
                int blocks = (r.NumComputedTokens + bs - 1) / bs;
                used += blocks;
                unfilled += blocks * bs - r.NumComputedTokens;
            }
            Assert.Equal(used, metrics.KvBlocksUsed);
            Assert.Equal(unfilled, metrics.KvUnfilledSlots);
            Assert.Equal(used == 0 ? 0 : 100.0 * unfilled / (used * bs), metrics.KvWastePercent, 9);
            Assert.Equal(sched.Running.Count, metrics.RunningRequests);
            Assert.Equal(sched.Running.Count + sched.NumWaiting, metrics.ActiveRequests);
            if (!step.IsEmpty)
            {
                allocatedSlotSteps += used * bs;
                unfilledSlotSteps += unfilled;
            }
        });
        var handles = prompts.Select((p, i) => engine.Submit(new EngineRequest { RequestId = $"m{i}", PromptTokenIds = p, Sampling = Greedy(10 + i, ignoreEos: true) })).ToArray();
        foreach (var h in handles) await EngineTestModel.Collect(h).WaitAsync(Limit);
        audit.ThrowIfFailed();
        var metrics = engine.Metrics;
        int promptTokens = prompts.Sum(p => p.Length), generated = prompts.Select((_, i) => 10 + i).Sum();
        Assert.Equal(promptTokens, metrics.TotalPromptTokens);
        Assert.Equal(generated, metrics.TotalGenerationTokens);
        Assert.Equal(promptTokens, metrics.TotalPrefillTokens);
        Assert.Equal(promptTokens + generated - prompts.Length, metrics.TotalComputedTokens);
        Assert.Equal(allocatedSlotSteps, metrics.KvAllocatedSlotSteps);
        Assert.Equal(unfilledSlotSteps, metrics.KvUnfilledSlotSteps);
        Assert.True(metrics.KvAllocatedSlotSteps > 0);
        Assert.Equal(0, metrics.PrefixCacheHitRatio);
    }

    [Fact]
    public void RequestsWiderThanMaxNumSeqsAreRejected()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, 16), MaxNumSeqs = 4, MaxBatchedTokens = 64 });
        var ex = Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "n", PromptTokenIds = [1, 2], N = 5 }));
        Assert.Contains("max num seqs", ex.Message);
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "b", PromptTokenIds = [1, 2], UseBeamSearch = true, BeamWidth = 5 }));
        Assert.Throws<ArgumentException>(() => new EngineOptions { Batching = BatchingMode.Static, StaticBatchSize = 65 }.Validate());
    }
}
