using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Engine.Sampling;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine;

/// <summary>End-to-end engine behaviour on tinystories-656k against single-sequence references.</summary>
public class LlmEngineTests
{
    internal static readonly string[] Prompts =
    [
        "Once upon a time, there was a little girl named Lily.",
        "The dog ran",
        "One day, Tom and his mom went to the park to play with a big red ball. They saw a bird in a tree and",
        "Sara liked to draw pictures of cats and dogs. She",
        "Ben",
        "The sun was shining and the flowers were happy. A small bee flew over the garden and said hello to a frog who lived in the pond.",
    ];

    private static SamplingParams Greedy(int maxTokens, bool ignoreEos = false) => new() { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = ignoreEos };

    private static long BlockBytes(EngineTestModel m, int blockSize) =>
        new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, blockSize).BytesPerBlock;

    [Fact]
    public async Task ConcurrentGreedyRequestsMatchSingleSequenceDecoding()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 256 * BlockBytes(m, 16), MaxBatchedTokens = 32, MaxNumSeqs = 8 });
        var handles = Prompts.Select((p, i) => engine.Submit(new EngineRequest
        {
            RequestId = $"r{i}", PromptTokenIds = m.Encode(p), Sampling = Greedy(20 + 3 * i),
        })).ToArray();
        for (int i = 0; i < Prompts.Length; i++)
        {
            var prompt = m.Encode(Prompts[i]);
            var r = await EngineTestModel.Collect(handles[i]);
            var expected = m.Greedy(prompt, 20 + 3 * i);
            Assert.Equal(expected, r.Tokens[0]);
            Assert.Equal(m.Config.EosTokenIds.Contains(expected[^1]) ? FinishReason.Stop : FinishReason.Length, r.Finish[0]);
            Assert.Equal(m.Tokenizer.Decode(expected.Where(t => !m.Config.EosTokenIds.Contains(t)).ToArray(), skipSpecialTokens: true), r.Text[0]);
            Assert.Equal(new EngineUsage(prompt.Length, expected.Count, 0), r.Usage);
        }
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Fact]
    public async Task TinyKvBudgetPreemptsAndStillGivesIdenticalGreedyOutput()
    {
        using var m = new EngineTestModel();
        // 14 blocks of 4 tokens: every request fits alone, but not all together, so the scheduler must preempt.
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 14 * BlockBytes(m, 4), BlockSize = 4, MaxBatchedTokens = 8, MaxNumSeqs = 4 });
        Assert.Equal(56, engine.MaxModelLength);
        var prompts = Prompts.Take(4).Select(p => m.Encode(p).Take(20).ToArray()).ToArray();
        var handles = prompts.Select((p, i) => engine.Submit(new EngineRequest
        {
            RequestId = $"p{i}", PromptTokenIds = p, Sampling = Greedy(30, ignoreEos: true),
        })).ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            var r = await EngineTestModel.Collect(handles[i]);
            Assert.Equal(m.Greedy(prompts[i], 30, ignoreEos: true), r.Tokens[0]);
        }
        var metrics = engine.Metrics;
        Assert.True(metrics.Preemptions > 0, "the budget was meant to force preemption");
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(metrics.KvBlocksTotal, metrics.KvBlocksFree + metrics.KvBlocksCached);
    }

    [Fact]
    public async Task PrefixCacheServesASharedPrefixAndSaltIsolatesIt()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 128 * BlockBytes(m, 8), BlockSize = 8 });
        var shared = m.Encode(Prompts[5]);                 // 30+ tokens
        int[] a = [.. shared, .. m.Encode("The frog")[1..]];
        int[] b = [.. shared, .. m.Encode("A cat")[1..]];
        int expectedCached = shared.Length / 8 * 8;

        async Task<EngineTestModel.Result> Run(string id, int[] prompt, string? salt)
        {
            var h = engine.Submit(new EngineRequest { RequestId = id, PromptTokenIds = prompt, Sampling = Greedy(12), CacheSalt = salt });
            return await EngineTestModel.Collect(h);
        }

        var ra = await Run("a", a, null);
        Assert.Equal(0, ra.Usage!.CachedPromptTokens);
        long computedBefore = engine.Metrics.TotalComputedTokens;
        var rb = await Run("b", b, null);
        Assert.Equal(expectedCached, rb.Usage!.CachedPromptTokens);
        Assert.Equal(m.Greedy(b, 12), rb.Tokens[0]);
        // Only the uncached suffix and the decodes were computed.
        Assert.Equal(b.Length - expectedCached + rb.Tokens[0].Count - 1, engine.Metrics.TotalComputedTokens - computedBefore);

        var rc = await Run("c", b, "tenant-1");
        Assert.Equal(0, rc.Usage!.CachedPromptTokens);
        Assert.Equal(rb.Tokens[0], rc.Tokens[0]);
        var rd = await Run("d", b, "tenant-1");
        Assert.Equal(b.Length / 8 * 8 == b.Length ? b.Length - 8 : b.Length / 8 * 8, rd.Usage!.CachedPromptTokens);
        Assert.True(engine.Metrics.PrefixCacheHitRatio > 0);
    }

    [Fact]
    public async Task ParallelSamplingMatchesStandaloneSeededSamplersAndSharesThePrompt()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, 16), EnablePrefixCaching = false });
        var prompt = m.Encode(Prompts[2]);
        var p = new SamplingParams { Temperature = 0.9f, TopK = 40, MaxTokens = 16, IgnoreEos = true, Seed = 42, Logprobs = true };
        int maxUsed = 0;
        var h = engine.Submit(new EngineRequest { RequestId = "n3", PromptTokenIds = prompt, Sampling = p, N = 3 });
        var r = await EngineTestModel.Collect(h, 3, e =>
        {
            maxUsed = Math.Max(maxUsed, engine.Metrics.KvBlocksUsed);
            if (e.TokenId >= 0) Assert.Equal(e.TokenId, e.Logprobs!.Token);
        });

        for (int i = 0; i < 3; i++)
        {
            // Reference: a fresh sampler seeded 42 + i over single-sequence logits.
            var sampler = new Sampler(m.Config.VocabSize, p with { Seed = 42UL + (ulong)i }, m.Config.EosTokenIds);
            sampler.AddPrompt(prompt);
            using var s = m.Model.CreateState(256);
            m.Model.Forward(s, prompt);
            var expected = new List<int>();
            for (int t = 0; t < 16; t++)
            {
                int tok = sampler.Sample(s.Logits);
                sampler.Accept(tok);
                expected.Add(tok);
                m.Model.Forward(s, [tok]);
            }
            Assert.Equal(expected, r.Tokens[i]);
        }
        Assert.False(r.Tokens[0].SequenceEqual(r.Tokens[1]) && r.Tokens[1].SequenceEqual(r.Tokens[2]), "three seeds gave identical outputs");
        Assert.Equal(48, r.Usage!.CompletionTokens);
        // The prompt ran once: prompt + 3 × 15 decodes (each choice's first token came from the shared prompt logits).
        Assert.Equal(prompt.Length + 3 * 15, engine.Metrics.TotalComputedTokens);
        int promptBlocks = prompt.Length / 16;
        Assert.True(maxUsed <= promptBlocks + 3 * 3, $"observed {maxUsed} blocks in use; three private copies would need {3 * ((prompt.Length + 16 + 15) / 16)}");
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Fact]
    public async Task BeamWidthOneEqualsGreedy()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, 16) });
        for (int i = 0; i < 3; i++)
        {
            var prompt = m.Encode(Prompts[i]);
            var h = engine.Submit(new EngineRequest
            {
                RequestId = $"b{i}", PromptTokenIds = prompt, Sampling = new SamplingParams { MaxTokens = 40 },
                UseBeamSearch = true, BeamWidth = 1, EarlyStopping = true,
            });
            var r = await EngineTestModel.Collect(h);
            Assert.Equal(m.Greedy(prompt, 40), r.Tokens[0]);
        }
    }

    [Fact]
    public async Task BeamSearchMatchesBruteForceBeamSearchOverTheReferenceModel()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, 4), BlockSize = 4 });
        const int width = 3, steps = 7;
        var prompt = m.Encode(Prompts[3]);
        var h = engine.Submit(new EngineRequest
        {
            RequestId = "beam", PromptTokenIds = prompt, Sampling = new SamplingParams { MaxTokens = steps, IgnoreEos = true },
            UseBeamSearch = true, BeamWidth = width, N = width, LengthPenalty = 1f,
        });
        var r = await EngineTestModel.Collect(h, width);

        // Brute force: expand every beam by the whole vocabulary, keep the best `width` by cumulative logprob.
        var beams = new List<(int[] Out, double Cum)> { ([], 0) };
        for (int s = 0; s < steps; s++)
        {
            var all = new List<(int[] Out, double Cum)>();
            foreach (var (output, cum) in beams)
            {
                var lp = m.NextLogprobs([.. prompt, .. output]);
                for (int t = 0; t < lp.Length; t++) all.Add(([.. output, t], cum + lp[t]));
            }
            beams = all.OrderByDescending(x => x.Cum).Take(width).ToList();
        }
        for (int i = 0; i < width; i++)
        {
            Assert.Equal(beams[i].Out, r.Tokens[i]);
            Assert.Equal(FinishReason.Length, r.Finish[i]);
        }
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Fact]
    public async Task AbortAndCancellationFreeEveryBlock()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 128 * BlockBytes(m, 16) });
        var prompt = m.Encode(Prompts[0]);
        var h = engine.Submit(new EngineRequest { RequestId = "long", PromptTokenIds = prompt, Sampling = Greedy(400, ignoreEos: true) });
        using var cts = new CancellationTokenSource();
        var h2 = engine.Submit(new EngineRequest { RequestId = "long2", PromptTokenIds = prompt, Sampling = Greedy(400, ignoreEos: true), N = 2 }, cts.Token);
        await h.Outputs.ReadAsync();
        await h2.Outputs.ReadAsync();
        h.Abort();
        cts.Cancel();
        var r = await EngineTestModel.Collect(h);
        var r2 = await EngineTestModel.Collect(h2, 2);
        Assert.Equal(FinishReason.Abort, r.Finish[0]);
        Assert.All(r2.Finish, f => Assert.Equal(FinishReason.Abort, f));
        Assert.True(r.Tokens[0].Count < 399);
        var metrics = engine.Metrics;
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(0, metrics.RunningSequences);
        Assert.Equal(0, metrics.ActiveRequests);
        Assert.False(engine.Abort("long"));
    }

    [Fact]
    public async Task StopStringsEndTheChoiceAndAreRemoved()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 64 * BlockBytes(m, 16) });
        var prompt = m.Encode(Prompts[0]);
        var full = await EngineTestModel.Collect(engine.Submit(new EngineRequest { RequestId = "full", PromptTokenIds = prompt, Sampling = Greedy(40, ignoreEos: true) }));
        string text = full.Text[0];
        string stop = text.Substring(text.Length / 2, 4);
        var r = await EngineTestModel.Collect(engine.Submit(new EngineRequest
        {
            RequestId = "stopped", PromptTokenIds = prompt, Sampling = Greedy(40, ignoreEos: true) with { Stop = [stop] },
        }));
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], r.Text[0]);
        Assert.Equal(FinishReason.Stop, r.Finish[0]);
        Assert.Equal(0, engine.Metrics.KvBlocksUsed);
    }

    [Fact]
    public void RejectsOversizedPromptsAndDuplicateIdsAtSubmit()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 4 * BlockBytes(m, 8), BlockSize = 8 });
        Assert.Equal(32, engine.MaxModelLength);
        var tooLong = Enumerable.Repeat(5, 32).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "x", PromptTokenIds = tooLong }));
        Assert.Contains("32 tokens", ex.Message);
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "y", PromptTokenIds = [] }));
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "z", PromptTokenIds = [m.Config.VocabSize] }));
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "w", PromptTokenIds = [5], UseBeamSearch = true, BeamWidth = 2, N = 3 }));
        engine.Submit(new EngineRequest { RequestId = "dup", PromptTokenIds = [5, 6], Sampling = Greedy(200, true) });
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest { RequestId = "dup", PromptTokenIds = [5, 6] }));
    }

    [Fact]
    public async Task RandomWorkloadLeavesNoBlocksBehind()
    {
        using var m = new EngineTestModel();
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = 24 * BlockBytes(m, 4), BlockSize = 4, MaxBatchedTokens = 16, MaxNumSeqs = 6 });
        var rng = new Random(3);
        var tasks = new List<Task>();
        for (int i = 0; i < 30; i++)
        {
            var prompt = m.Encode(Prompts[rng.Next(Prompts.Length)]).Take(rng.Next(2, 40)).ToArray();
            bool beam = rng.Next(5) == 0;
            var req = new EngineRequest
            {
                RequestId = $"w{i}", PromptTokenIds = prompt,
                Sampling = new SamplingParams { Temperature = rng.Next(2) == 0 ? 0 : 1, MaxTokens = rng.Next(1, 20), Seed = (ulong)i },
                N = beam ? rng.Next(1, 3) : rng.Next(1, 4), UseBeamSearch = beam, BeamWidth = 2, Priority = rng.Next(3),
            };
            var h = engine.Submit(req);
            bool abort = rng.Next(4) == 0;
            tasks.Add(Task.Run(async () =>
            {
                if (abort) h.Abort();
                await EngineTestModel.Collect(h, req.N);
            }));
        }
        await Task.WhenAll(tasks);
        var metrics = engine.Metrics;
        Assert.Equal(0, metrics.KvBlocksUsed);
        Assert.Equal(0, metrics.RunningSequences + metrics.WaitingSequences);
        Assert.Equal(metrics.KvBlocksTotal, metrics.KvBlocksFree + metrics.KvBlocksCached);
    }
}
