using Tokamak.Engine.Kv;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine.Scheduling;

/// <summary>Deferred tokens, forks sharing KV blocks, and engine-driven preemption.</summary>
public class SchedulerForkTests
{
    private static (Scheduler, KvCacheManager) Make(int blocks = 16)
    {
        var kv = new KvCacheManager(new KvCacheSpec(1, 1, 2, blockSize: 4), blocks);
        return (new Scheduler(new SchedulerConfig { MaxBatchedTokens = 16, MaxNumSeqs = 4 }, kv), kv);
    }

    [Fact]
    public void ForkSharesThePromptBlocksAndDivergesByCopyOnWrite()
    {
        var (s, kv) = Make();
        var r = new Request("p", [1, 2, 3, 4, 5, 6], 5, eosTokenIds: [9]);
        s.AddRequest(r);
        var step = s.Schedule();
        Assert.Empty(s.OnStepCompleted(step, [-1]));   // defer the token
        Assert.True(r.AwaitingToken);
        var idle = s.Schedule();                          // a deferred request is not scheduled
        Assert.True(idle.IsEmpty);
        s.OnStepCompleted(idle, []);

        var (child, finish) = s.Fork(r, "c", 7);
        Assert.Null(finish);
        Assert.Null(s.AppendToken(r, 8));
        Assert.Equal(2, kv.Blocks.Stats.Used);            // 6 prompt tokens in 2 blocks, shared
        foreach (int b in kv.Table(r.ArrivalOrder).Blocks) Assert.Equal(2, kv.Blocks.RefCount(b));

        var decode = s.Schedule();
        Assert.Equal(2, decode.Sequences.Count);
        Assert.Equal(kv.Table(r.ArrivalOrder)[0], kv.Table(child.ArrivalOrder)[0]);    // full block still shared
        Assert.NotEqual(kv.Table(r.ArrivalOrder)[1], kv.Table(child.ArrivalOrder)[1]); // partial block copied
        var events = s.OnStepCompleted(decode, decode.Sequences.Select(q => q.Request == r ? 9 : 3).ToArray());
        Assert.Equal(FinishReason.Stop, events.Single(e => e.Request == r).Finish);
        Assert.Equal([8, 9], r.OutputTokens.ToArray());
        Assert.Equal([7, 3], child.OutputTokens.ToArray());
        Assert.True(s.Abort("c"));
        Assert.Equal(0, kv.Blocks.Stats.Used);
        kv.Blocks.Audit();
    }

    [Fact]
    public void PreemptedDeferredRequestForksIntoAWaitingChildThatRecomputes()
    {
        var (s, kv) = Make();
        var r = new Request("p", [1, 2, 3, 4, 5], 4);
        s.AddRequest(r);
        var step = s.Schedule();
        s.OnStepCompleted(step, [-1]);
        Assert.True(s.Preempt("p"));
        Assert.Equal(0, kv.Blocks.Stats.Used);
        var (child, _) = s.Fork(r, "c", 11);
        Assert.Equal(RequestState.Preempted, child.State);
        s.AppendToken(r, 12);
        var next = s.Schedule();
        Assert.Equal(2, next.Sequences.Count);
        Assert.All(next.Sequences, q => Assert.Equal(6, q.EndPosition)); // prompt + first output recomputed
        s.OnStepCompleted(next, [1, 1]);
        s.Abort("p");
        s.Abort("c");
        Assert.Equal(0, kv.Blocks.Stats.Used);
    }

    [Fact]
    public void ForkFamiliesReserveTheirWidthSoForksNeverExceedMaxNumSeqs()
    {
        var (s, _) = Make(blocks: 32); // MaxNumSeqs 4
        var a = new Request("a", [1, 2, 3], 8, maxSequences: 3);
        s.AddRequest(a);
        s.AddRequest(new Request("b", [4, 5, 6], 8, maxSequences: 2));
        s.AddRequest(new Request("c", [7, 8], 8));
        var step = s.Schedule();
        // a reserves 3 of 4 slots; b needs 2 and FCFS admission stops there (c does not overtake it).
        Assert.Equal(["a"], step.Sequences.Select(q => q.Request.Id));
        Assert.Equal(3, s.ReservedSequenceSlots);
        s.OnStepCompleted(step, [-1]);
        s.Fork(a, "a1", 5);
        s.Fork(a, "a2", 6);
        s.AppendToken(a, 7);
        s.Audit();
        var next = s.Schedule();
        Assert.Equal(3, next.Sequences.Count);
        Assert.All(next.Sequences, q => Assert.StartsWith("a", q.Request.Id));
        s.OnStepCompleted(next, [1, 1, 1]);
        Assert.True(s.NumRunning <= 4);
        s.Abort("a");
        s.Abort("a1");
        Assert.Equal(3, s.ReservedSequenceSlots); // a2 still runs: the family keeps its reservation
        s.Audit();
        s.Abort("a2");
        Assert.Equal(0, s.ReservedSequenceSlots);
        var after = s.Schedule();
        Assert.Equal(["b", "c"], after.Sequences.Select(q => q.Request.Id));
        Assert.Equal(3, s.ReservedSequenceSlots);
        s.OnStepCompleted(after, [1, 1]);
        s.Audit();
        var ex = Assert.Throws<ArgumentException>(() => s.AddRequest(new Request("wide", [1], 4, maxSequences: 5)));
        Assert.Contains("max num seqs", ex.Message);
    }

    [Fact]
    public void AppendAndForkRequireADeferredToken()
    {
        var (s, _) = Make();
        var r = new Request("p", [1, 2], 4);
        s.AddRequest(r);
        Assert.Throws<InvalidOperationException>(() => s.AppendToken(r, 3));
        var step = s.Schedule();
        Assert.Throws<InvalidOperationException>(() => s.Fork(r, "c", 3)); // step pending
        s.OnStepCompleted(step, [5]);
        Assert.Throws<InvalidOperationException>(() => s.Fork(r, "c", 3));
    }
}
