using Tokamak.Engine.Kv;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine.Scheduling;

public class SchedulerTests
{
    private static int[] Prompt(Random rng, int length) => Enumerable.Range(0, length).Select(_ => rng.Next(1, FakeEngine.Vocab)).ToArray();

    private static void AssertNoLeaks(FakeEngine e)
    {
        var stats = e.Scheduler.KvCache.Blocks.Stats;
        Assert.Equal(0, stats.Used);
        Assert.Equal(stats.Capacity, stats.Free + stats.Cached);
        Assert.Equal(0, e.Scheduler.KvCache.SequenceCount);
        e.Scheduler.KvCache.Blocks.Audit();
    }

    [Fact]
    public void ManyRequests_ProduceTheGreedyOutputs_WithinBudget_AndFreeEverything()
    {
        var rng = new Random(1);
        var config = new SchedulerConfig { MaxBatchedTokens = 32, MaxNumSeqs = 6 };
        using var e = new FakeEngine(config, numBlocks: 256);
        var expected = new Dictionary<string, int[]>();
        for (int i = 0; i < 20; i++)
        {
            var p = Prompt(rng, rng.Next(1, 70));
            int max = rng.Next(1, 30);
            e.Add($"r{i}", p, max);
            expected[$"r{i}"] = FakeEngine.Expected(p, max, e.Scheduler.MaxModelLength);
        }
        e.RunToCompletion();
        foreach (var (id, want) in expected) Assert.Equal(want, e.Done[id].OutputTokens.ToArray());
        Assert.Contains(e.Steps, s => s.Sequences.Any(q => q.IsPrefill && !q.SampleNext)); // chunking happened
        Assert.All(e.Done.Values, r => Assert.Equal(r.OutputTokens[^1] == FakeEngine.Eos ? FinishReason.Stop : FinishReason.Length, r.FinishReason));
        AssertNoLeaks(e);
    }

    [Fact]
    public void LongPrompt_IsChunked_WhileRunningDecodesAdvanceEveryStep()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 16, MaxNumSeqs = 4 };
        using var e = new FakeEngine(config, numBlocks: 128);
        var rng = new Random(2);
        // Two short requests start decoding, then a 200-token prompt arrives.
        var a = e.Add("a", Prompt(rng, 3), 200);
        var b = e.Add("b", Prompt(rng, 5), 200);
        e.Step();
        var big = e.Add("big", Prompt(rng, 200), 5);
        int chunks = 0;
        while (big.NumComputedTokens < big.PromptLength && a.State == RequestState.Running && b.State == RequestState.Running)
        {
            int aBefore = a.NumTokens, bBefore = b.NumTokens;
            var step = e.Step();
            var chunk = step.Sequences.Single(s => s.Request == big);
            Assert.True(chunk.Count <= 16 - 2);
            Assert.Equal(aBefore + 1, a.NumTokens); // a and b each got a token in the same step
            Assert.Equal(bBefore + 1, b.NumTokens);
            chunks++;
        }
        Assert.True(chunks >= 200 / 14, $"expected the prompt in many chunks, got {chunks}");
        e.RunToCompletion();
        Assert.Equal(FakeEngine.Expected(big.PromptTokens.ToArray(), 5, e.Scheduler.MaxModelLength), big.OutputTokens.ToArray());
        AssertNoLeaks(e);
    }

    [Fact]
    public void WithoutChunkedPrefill_APromptIsAdmittedWholeOrWaits()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 20, MaxNumSeqs = 4, EnableChunkedPrefill = false };
        using var e = new FakeEngine(config, numBlocks: 64);
        var rng = new Random(3);
        e.Add("a", Prompt(rng, 15), 3);
        e.Add("b", Prompt(rng, 10), 3);
        var s0 = e.Step();
        Assert.Equal(["a"], s0.Sequences.Select(s => s.Request.Id));
        Assert.True(s0.Sequences[0].SampleNext);
        e.RunToCompletion();
        Assert.All(e.Steps.SelectMany(s => s.Sequences), s => Assert.True(!s.IsPrefill || s.SampleNext));
        AssertNoLeaks(e);
    }

    [Theory]
    [InlineData(SchedulingPolicy.Fcfs, true)]
    [InlineData(SchedulingPolicy.Priority, true)]
    [InlineData(SchedulingPolicy.Fcfs, false)]
    public void TightPool_PreemptsByRecompute_AndOutputsMatchAnUnpreemptedRun(SchedulingPolicy policy, bool prefixCaching)
    {
        var rng = new Random(4);
        var requests = Enumerable.Range(0, 12).Select(i => (Id: $"r{i}", Prompt: Prompt(rng, rng.Next(4, 30)), Max: rng.Next(10, 40), Prio: rng.Next(3))).ToList();
        var config = new SchedulerConfig { MaxBatchedTokens = 24, MaxNumSeqs = 8, Policy = policy };

        using var roomy = new FakeEngine(config, numBlocks: 512, prefixCaching: prefixCaching);
        using var tight = new FakeEngine(config with { MaxModelLength = 72 }, numBlocks: 18, prefixCaching: prefixCaching);
        foreach (var r in requests)
        {
            roomy.Add(r.Id, r.Prompt, r.Max, r.Prio);
            tight.Add(r.Id, r.Prompt, r.Max, r.Prio);
        }
        roomy.RunToCompletion();
        tight.RunToCompletion();

        Assert.Equal(0, roomy.Scheduler.TotalPreemptions);
        Assert.True(tight.Scheduler.TotalPreemptions > 0, "pool was not tight enough to preempt");
        foreach (var r in requests)
        {
            Assert.Equal(roomy.Done[r.Id].OutputTokens.ToArray(), tight.Done[r.Id].OutputTokens.ToArray());
            Assert.Equal(FakeEngine.Expected(r.Prompt, r.Max, 1 << 20), tight.Done[r.Id].OutputTokens.ToArray());
        }
        AssertNoLeaks(roomy);
        AssertNoLeaks(tight);
    }

    [Fact]
    public void Preemption_PicksTheLatestArrivalUnderFcfs_AndTheLeastImportantUnderPriority()
    {
        foreach (var policy in new[] { SchedulingPolicy.Fcfs, SchedulingPolicy.Priority })
        {
            // 4 blocks of 4 tokens; three requests with 4-token prompts each take one block, then all grow.
            var config = new SchedulerConfig { MaxBatchedTokens = 16, MaxNumSeqs = 4, Policy = policy };
            using var e = new FakeEngine(config, numBlocks: 4, prefixCaching: false);
            var rng = new Random(5);
            var early = e.Add("early", Prompt(rng, 4), 12, priority: 5);
            var mid = e.Add("mid", Prompt(rng, 4), 12, priority: 0);
            var late = e.Add("late", Prompt(rng, 4), 12, priority: 1);
            Request? first = null;
            for (int n = 0; n < 20 && first is null; n++)
            {
                var step = e.Step();
                if (step.Preempted.Count > 0) first = step.Preempted[0];
            }
            Assert.NotNull(first);
            Assert.Same(policy == SchedulingPolicy.Fcfs ? late : early, first);
            e.RunToCompletion();
            AssertNoLeaks(e);
            _ = mid;
        }
    }

    [Fact]
    public void PriorityPolicy_AdmitsMoreImportantRequestsFirst()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 8, MaxNumSeqs = 1, Policy = SchedulingPolicy.Priority };
        using var e = new FakeEngine(config, numBlocks: 32);
        var rng = new Random(6);
        e.Add("low", Prompt(rng, 4), 2, priority: 9);
        e.Add("high", Prompt(rng, 4), 2, priority: 1);
        Assert.Equal("high", e.Step().Sequences.Single().Request.Id);
        e.RunToCompletion();
        AssertNoLeaks(e);
    }

    [Fact]
    public void SharedSystemPrompt_IsReusedFromThePrefixCache_AndSaltIsolatesTenants()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 64, MaxNumSeqs = 4 };
        using var e = new FakeEngine(config, numBlocks: 128, blockSize: 4);
        var rng = new Random(7);
        var system = Prompt(rng, 22); // 5 full blocks + 2 tokens
        var first = e.Add("first", [.. system, 1, 2, 3], 3);
        e.RunToCompletion();
        Assert.Equal(0, first.NumCachedTokens);

        var second = e.Add("second", [.. system, 9, 9], 3);
        var third = e.Add("third", [.. system, 9, 9], 3, salt: "other-tenant");
        e.RunToCompletion();
        Assert.Equal(20, second.NumCachedTokens);  // whole blocks of the shared 22-token prefix
        Assert.Equal(0, third.NumCachedTokens);    // different salt, no sharing
        foreach (var r in new[] { first, second, third })
            Assert.Equal(FakeEngine.Expected(r.PromptTokens.ToArray(), 3, e.Scheduler.MaxModelLength), r.OutputTokens.ToArray());

        var pc = e.Scheduler.KvCache.PrefixCache;
        Assert.Equal(3, pc.Queries);
        Assert.Equal(1, pc.Hits);
        Assert.Equal(20, pc.HitTokens);
        Assert.Equal(25 + 24 + 24, pc.QueriedTokens);
        // The cache hit also showed up as a shorter first step for "second": it computed only the 4 new tokens.
        var secondFirst = e.Steps.SelectMany(s => s.Sequences).First(s => s.Request == second);
        Assert.Equal(20, secondFirst.StartPosition);
        Assert.Equal(4, secondFirst.Count);
        AssertNoLeaks(e);
    }

    [Fact]
    public void Abort_FreesBlocksAtOnce_AndTheRequestIsNeverScheduledAgain()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 16, MaxNumSeqs = 4 };
        using var e = new FakeEngine(config, numBlocks: 64, prefixCaching: false);
        var rng = new Random(8);
        var a = e.Add("a", Prompt(rng, 10), 100);
        var b = e.Add("b", Prompt(rng, 40), 100);
        var c = e.Add("c", Prompt(rng, 5), 100);
        e.Step();
        e.Step();
        int usedBefore = e.Scheduler.KvCache.Blocks.Stats.Used;
        int aBlocks = e.Scheduler.KvCache.Table(a.ArrivalOrder).Count;
        Assert.True(e.Scheduler.Abort("a"));
        Assert.Equal(usedBefore - aBlocks, e.Scheduler.KvCache.Blocks.Stats.Used);
        Assert.Equal(FinishReason.Abort, a.FinishReason);
        Assert.False(e.Scheduler.Abort("a"));
        Assert.False(e.Scheduler.Abort("nobody"));
        // Abort while a step is in flight: the completion ignores it.
        e.Step(step => { Assert.Contains(step.Sequences, s => s.Request == b); e.Scheduler.Abort("b"); });
        Assert.Equal(RequestState.Finished, b.State);
        Assert.True(e.Scheduler.Abort("c")); // waiting or running, either way
        Assert.False(e.Scheduler.HasUnfinishedRequests);
        var last = e.Scheduler.Schedule();
        Assert.True(last.IsEmpty);
        e.Scheduler.OnStepCompleted(last, []);
        AssertNoLeaks(e);
    }

    [Fact]
    public void MaxModelLength_EndsGenerationWithLength()
    {
        var config = new SchedulerConfig { MaxBatchedTokens = 16, MaxNumSeqs = 2, MaxModelLength = 12 };
        using var e = new FakeEngine(config, numBlocks: 8);
        var r = e.Add("r", [5, 6, 7, 8, 9, 10, 11, 12, 13, 14], 50);
        e.RunToCompletion();
        var want = FakeEngine.Expected([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], 50, 12);
        Assert.Equal(want, r.OutputTokens.ToArray());
        if (want[^1] != FakeEngine.Eos) Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.True(r.NumTokens <= 12);
    }

    [Fact]
    public void BadInput_IsRejectedWithClearErrors()
    {
        var spec = new KvCacheSpec(1, 1, 2, 4);
        Assert.Throws<ArgumentException>(() => new SchedulerConfig { MaxBatchedTokens = 4, MaxNumSeqs = 8 }.Validate());
        Assert.Throws<ArgumentException>(() => new Scheduler(new SchedulerConfig { MaxModelLength = 100 }, new KvCacheManager(spec, 4)));
        var s = new Scheduler(new SchedulerConfig { MaxBatchedTokens = 8, MaxNumSeqs = 2 }, new KvCacheManager(spec, 4));
        Assert.Throws<ArgumentException>(() => new Request("x", [], 4));
        Assert.Throws<ArgumentException>(() => new Request("x", [1], 0));
        Assert.Throws<ArgumentException>(() => s.AddRequest(new Request("long", new int[16], 4))); // pool holds 16 tokens
        s.AddRequest(new Request("x", [1, 2], 4));
        Assert.Throws<ArgumentException>(() => s.AddRequest(new Request("x", [1, 2], 4)));
        var step = s.Schedule();
        Assert.Throws<InvalidOperationException>(() => s.Schedule());
        Assert.Throws<ArgumentException>(() => s.OnStepCompleted(step, [1, 2, 3]));
        s.OnStepCompleted(step, [1]);
        Assert.Throws<InvalidOperationException>(() => s.OnStepCompleted(step, [1]));
    }
}
