using Tokamak.Engine.Kv;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine.Scheduling;

/// <summary>
/// Drives a <see cref="Scheduler"/> the way the real engine will, with a stand-in "model" whose next token is a
/// deterministic function of the whole context. The scheduler's contract does not depend on logits, so this is an
/// honest stand-in. The model really uses the paged cache: it writes each computed position's K/V as
/// (token, position) through the step's block table and, before sampling, reads the entire context back through the
/// table and checks it against the test's own record of the sequence, so a wrong prefix-cache hit, copy-on-write or
/// block table shows up as a failure, not just a wrong count.
/// </summary>
internal sealed class FakeEngine : IDisposable
{
    public const int Vocab = 50;
    public const int Eos = 0;

    private readonly Dictionary<string, List<int>> _truth = new();

    public FakeEngine(SchedulerConfig config, int numBlocks, int blockSize = 4, bool prefixCaching = true)
    {
        var spec = new KvCacheSpec(layers: 1, kvHeads: 1, headDim: 2, blockSize: blockSize);
        Pool = new KvPool(spec, numBlocks);
        Scheduler = new Scheduler(config, new KvCacheManager(spec, numBlocks, Pool, prefixCaching));
    }

    public KvPool Pool { get; }
    public Scheduler Scheduler { get; }
    public List<SchedulerStep> Steps { get; } = [];
    public Dictionary<string, Request> Done { get; } = new();

    /// <summary>The stand-in model: next token from the full context (a rolling hash), EOS about 1 time in 50.</summary>
    public static int NextToken(ReadOnlySpan<int> context)
    {
        ulong h = 1469598103934665603UL;
        for (int i = 0; i < context.Length; i++) h = (h ^ (ulong)(context[i] + 7 * i)) * 1099511628211UL;
        return (int)(h >> 33) % Vocab;
    }

    /// <summary>Independent expectation: greedy generation with <see cref="NextToken"/> straight from the prompt.</summary>
    public static int[] Expected(int[] prompt, int maxTokens, int maxModelLength)
    {
        var seq = new List<int>(prompt);
        var output = new List<int>();
        while (true)
        {
            int t = NextToken(seq.ToArray());
            seq.Add(t);
            output.Add(t);
            if (t == Eos || output.Count >= maxTokens || seq.Count >= maxModelLength) return [.. output];
        }
    }

    public Request Add(string id, int[] prompt, int maxTokens, int priority = 0, string? salt = null)
    {
        var r = new Request(id, prompt, maxTokens, priority, [Eos], salt);
        Scheduler.AddRequest(r);
        _truth[id] = [.. prompt];
        return r;
    }

    /// <summary>Runs one step; returns it (already completed).</summary>
    public SchedulerStep Step(Action<SchedulerStep>? beforeCompletion = null)
    {
        var step = Scheduler.Schedule();
        Steps.Add(step);
        var sampled = new int[step.Sequences.Count];
        for (int i = 0; i < step.Sequences.Count; i++)
        {
            var s = step.Sequences[i];
            var truth = _truth[s.Request.Id];
            Assert.Equal(truth.GetRange(s.StartPosition, s.Count), s.TokenIds.ToArray());
            Assert.True(s.BlockTable.NumTokens >= s.EndPosition);
            Assert.Equal(s.EndPosition == truth.Count, s.SampleNext);
            // The scheduler must never let a step write into a block someone else can read (shared or cached).
            var blocks = Scheduler.KvCache.Blocks;
            for (int p = s.StartPosition; p < s.EndPosition; p++)
            {
                int block = s.BlockTable.Locate(p).Block;
                Assert.True(blocks.RefCount(block) == 1 && blocks.HashOf(block) is null, $"step writes position {p} of {s.Request.Id} into shared block {block}");
            }
            var kv = new float[s.Count * 2];
            for (int j = 0; j < s.Count; j++) { kv[2 * j] = s.TokenIds.Span[j]; kv[2 * j + 1] = s.StartPosition + j; }
            Pool.Write(0, s.BlockTable, s.StartPosition, kv, kv);
            sampled[i] = -1;
            if (!s.SampleNext) continue;
            var context = new int[s.EndPosition];
            for (int p = 0; p < context.Length; p++)
            {
                var (block, slot) = s.BlockTable.Locate(p);
                var row = Pool.KeyRow(0, block, slot);
                Assert.Equal(p, (int)row[1]);
                Assert.Equal(truth[p], (int)row[0]);
                context[p] = (int)row[0];
            }
            sampled[i] = NextToken(context);
        }
        beforeCompletion?.Invoke(step);
        foreach (var e in Scheduler.OnStepCompleted(step, sampled))
        {
            _truth[e.Request.Id].Add(e.Token);
            if (e.Finish is not null) Done[e.Request.Id] = e.Request;
        }
        return step;
    }

    /// <summary>Runs until every request finished, checking the per-step invariants.</summary>
    public void RunToCompletion(int maxSteps = 100_000)
    {
        for (int n = 0; Scheduler.HasUnfinishedRequests; n++)
        {
            Assert.True(n < maxSteps, "scheduler made no progress");
            var decodesBefore = RunningDecodes();
            var step = Step();
            Assert.True(step.TotalTokens <= Scheduler.Config.MaxBatchedTokens);
            Assert.True(step.Sequences.Count <= Scheduler.Config.MaxNumSeqs);
            Assert.True(Scheduler.NumRunning <= Scheduler.Config.MaxNumSeqs);
            Assert.Equal(step.Sequences.Count, step.Sequences.Select(s => s.Request.Id).Distinct().Count());
            // No running decode is skipped unless it was preempted for blocks.
            foreach (var r in decodesBefore)
                Assert.True(step.Sequences.Any(s => s.Request == r) || step.Preempted.Contains(r), $"decode of {r.Id} was starved in step {step.Index}");
            Assert.False(step.IsEmpty && Scheduler.NumRunning == 0 && Scheduler.NumWaiting > 0 && step.Preempted.Count == 0,
                "waiting requests but nothing scheduled");
        }
    }

    private List<Request> RunningDecodes()
    {
        var list = new List<Request>();
        foreach (var id in _truth.Keys)
            if (Scheduler.TryGetRequest(id, out var r) && r.State == RequestState.Running && r.NumTokens - r.NumComputedTokens == 1)
                list.Add(r);
        return list;
    }

    public void Dispose() => Pool.Dispose();
}
