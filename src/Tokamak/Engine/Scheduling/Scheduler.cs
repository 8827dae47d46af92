using Tokamak.Engine.Kv;

namespace Tokamak.Engine.Scheduling;

/// <summary>
/// Iteration-level scheduler (Orca) over a paged KV cache with prefix caching and chunked prefill (vLLM v1).
/// <para>Engine loop contract — all calls from one thread:
/// <code>
/// var sched = new Scheduler(config, new KvCacheManager(spec, blocks, kvPool));
/// sched.AddRequest(new Request("r1", prompt, maxTokens: 256, eosTokenIds: cfg.EosTokenIds));
/// while (sched.HasUnfinishedRequests)
/// {
///     // apply client disconnects queued by other threads: sched.Abort(id)
///     SchedulerStep step = sched.Schedule();
///     if (step.IsEmpty) { /* nothing runnable: wait for new requests */ continue; }
///     // for each s in step.Sequences: run the model on s.TokenIds at positions s.StartPosition..,
///     //   writing K/V with KvPool.Write(layer, s.BlockTable, s.StartPosition, k, v) and attending with
///     //   PagedAttention.Forward(pool, layer, s.BlockTable, q, s.StartPosition, heads, output);
///     //   if s.SampleNext, sample sampled[i] from the last position's logits (else leave it, e.g. −1).
///     foreach (TokenEvent e in sched.OnStepCompleted(step, sampled)) { /* stream e.Token; e.Finish ends it */ }
/// }
/// </code></para>
/// </summary>
public sealed class Scheduler
{
    private readonly KvCacheManager _kv;
    private readonly List<Request> _running = [];                 // admission order
    private readonly SortedSet<Request> _waiting;                 // admission order per policy
    private readonly Dictionary<string, Request> _live = new();
    private readonly List<int> _hitScratch = [];
    private readonly List<Request> _snapshot = [];                // running requests at the start of Schedule
    private readonly List<TokenEvent> _events = [];               // reused by OnStepCompleted
    private int _reservedSeqs;                                    // Σ Width over groups with a running member
    private int _numPreempted;                                    // waiting requests in state Preempted
    private long _arrivals;
    private long _steps;
    private SchedulerStep? _pending;

    /// <summary>Creates a scheduler drawing blocks from <paramref name="kvCache"/>.</summary>
    public Scheduler(SchedulerConfig config, KvCacheManager kvCache)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(kvCache);
        config.Validate();
        long capacityTokens = (long)kvCache.Blocks.Capacity * kvCache.BlockSize;
        if (config.MaxModelLength > capacityTokens)
            throw new ArgumentException($"max model length {config.MaxModelLength} exceeds what the KV pool holds ({capacityTokens} tokens in {kvCache.Blocks.Capacity} blocks)");
        Config = config;
        _kv = kvCache;
        MaxModelLength = config.MaxModelLength ?? (int)Math.Min(int.MaxValue, capacityTokens);
        _waiting = new SortedSet<Request>(Comparer<Request>.Create(CompareForService));
    }

    /// <summary>Limits.</summary>
    public SchedulerConfig Config { get; }

    /// <summary>The KV cache (pool stats, prefix hit ratio).</summary>
    public KvCacheManager KvCache => _kv;

    /// <summary>Longest sequence allowed (prompt + outputs).</summary>
    public int MaxModelLength { get; }

    /// <summary>Requests holding blocks.</summary>
    public int NumRunning => _running.Count;

    /// <summary>Requests queued (new or preempted).</summary>
    public int NumWaiting => _waiting.Count;

    /// <summary>Of <see cref="NumWaiting"/>, requests that were preempted and wait to recompute.</summary>
    public int NumPreempted => _numPreempted;

    /// <summary>
    /// Sequence slots of <see cref="SchedulerConfig.MaxNumSeqs"/> held: each fork family (<see cref="Request.MaxSequences"/>)
    /// with a running member holds its full width. Never exceeds MaxNumSeqs, and <see cref="NumRunning"/> never exceeds it
    /// while a step is scheduled.
    /// </summary>
    public int ReservedSequenceSlots => _reservedSeqs;

    /// <summary>Running requests in admission order (valid until the scheduler next changes).</summary>
    public IReadOnlyList<Request> Running => _running;

    /// <summary>Prompt and recompute tokens scheduled so far (every scheduled token that is not a one-token decode).</summary>
    public long TotalPrefillTokens { get; private set; }

    /// <summary>One-token decodes scheduled so far.</summary>
    public long TotalDecodeTokens { get; private set; }

    /// <summary>Preemptions so far.</summary>
    public long TotalPreemptions { get; private set; }

    /// <summary>True while any request is waiting or running.</summary>
    public bool HasUnfinishedRequests => _live.Count > 0;

    /// <summary>Queues <paramref name="request"/>. Throws when its id is live or its prompt cannot fit the model length.</summary>
    public void AddRequest(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ArrivalOrder >= 0) throw new ArgumentException($"request '{request.Id}' was already added");
        if (_live.ContainsKey(request.Id)) throw new ArgumentException($"request id '{request.Id}' is already in use");
        if (request.PromptLength >= MaxModelLength)
            throw new ArgumentException($"prompt of request '{request.Id}' has {request.PromptLength} tokens; the limit is {MaxModelLength - 1} (max model length {MaxModelLength})");
        if (request.MaxSequences > Config.MaxNumSeqs)
            throw new ArgumentException($"request '{request.Id}' may run {request.MaxSequences} sequences at once; max num seqs is {Config.MaxNumSeqs}");
        request.ArrivalOrder = _arrivals++;
        _live.Add(request.Id, request);
        _waiting.Add(request);
    }

    /// <summary>Finishes <paramref name="requestId"/> with <see cref="FinishReason.Abort"/> and frees its blocks now. False when it is not live.</summary>
    public bool Abort(string requestId)
    {
        if (!_live.TryGetValue(requestId, out var r)) return false;
        Finish(r, FinishReason.Abort);
        return true;
    }

    /// <summary>Looks up a live request.</summary>
    public bool TryGetRequest(string requestId, out Request request) => _live.TryGetValue(requestId, out request!);

    /// <summary>Builds the next step. Must be followed by <see cref="OnStepCompleted"/> before the next call.</summary>
    public SchedulerStep Schedule()
    {
        // Design (after vLLM v1's scheduler). There is no separate "prefill phase" or "decode phase": each request has
        // NumComputedTokens and NumTokens (prompt + outputs), and a step gives some requests tokens to compute so
        // that NumComputedTokens catches up with NumTokens. That one rule covers decode (1 token), chunked prefill
        // (a slice of the prompt), prefix-cache hits (computed from the start) and recompute after preemption (the
        // prompt and the outputs so far, all as prefill).
        //  1. Running requests that need exactly one token (decodes) go first, so a long prompt can never stall
        //     them; Config.Validate guarantees MaxBatchedTokens ≥ MaxNumSeqs, so they always fit the budget.
        //  2. Running requests still mid-prompt get the next chunk from what is left of the budget.
        //  3. Waiting requests (preempted ones keep their arrival rank, so they come back first) are admitted in
        //     policy order while budget, sequence slots and blocks last (a fork family takes its full width of
        //     MaxNumSeqs when its first member starts running): their longest cached prefix counts as
        //     computed, the rest is chunked. An admission that cannot get blocks stops admission (no overtaking,
        //     so FCFS cannot starve a big request), and nothing is admitted in a step that had to preempt.
        //  When a running request cannot get a block, the least important running request (highest priority value,
        //  then latest arrival) is preempted by recompute: its blocks are freed (full ones stay in the prefix cache)
        //  and it rejoins the queue with its outputs, so greedy decoding resumes with identical tokens.
        if (_pending is not null) throw new InvalidOperationException("the previous step has not been completed; call OnStepCompleted first");
        int budget = Config.MaxBatchedTokens;
        // The step keeps its own lists (callers may hold on to steps); nothing else is allocated per step.
        var scheduled = new List<ScheduledSequence>(_running.Count + 4);
        List<Request>? preempted = null;

        // 1 + 2: running requests. Snapshot because preemption removes entries.
        _snapshot.Clear();
        _snapshot.AddRange(_running);
        for (int pass = 0; pass < 2; pass++)
        {
            bool decodes = pass == 0;
            foreach (var r in _snapshot)
            {
                if (r.State != RequestState.Running) continue; // preempted earlier in this loop
                int remaining = r.NumTokens - r.NumComputedTokens;
                if (decodes != (remaining == 1)) continue;
                int want = Math.Min(remaining, budget);
                if (!decodes && Config.LongPrefillTokenThreshold > 0) want = Math.Min(want, Config.LongPrefillTokenThreshold);
                if (want <= 0) continue;
                int got = ReserveRunning(r, want, scheduled, ref preempted, ref budget);
                if (got == 0) continue;
                budget -= got;
                scheduled.Add(Describe(r, r.NumComputedTokens, got));
            }
        }

        // 3: waiting requests.
        if (preempted is null)
        {
            while (_waiting.Count > 0 && budget > 0)
            {
                var r = _waiting.Min!;
                if (_reservedSeqs + SlotsToStart(r) > Config.MaxNumSeqs) break;
                _hitScratch.Clear();
                int cached = _kv.FindCachedPrefix(r.AllTokens, r.Seed, _hitScratch);
                int remaining = r.NumTokens - cached;
                int want = Math.Min(remaining, budget);
                if (Config.LongPrefillTokenThreshold > 0) want = Math.Min(want, Config.LongPrefillTokenThreshold);
                if (!Config.EnableChunkedPrefill && want < remaining) break;
                var hits = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_hitScratch);
                want = Math.Min(want, _kv.MaxAllocatableTokens(r.ArrivalOrder, hits));
                if (want <= 0 || (!Config.EnableChunkedPrefill && want < remaining)) break;
                if (!_kv.TryAllocateSlots(r.ArrivalOrder, r.Seed, hits, want))
                    throw new InvalidOperationException($"KV allocation of {want} tokens for '{r.Id}' failed after the pool reported room");
                _kv.PrefixCache.Record(r.NumTokens, cached);
                RemoveWaiting(r);
                r.NumComputedTokens = cached;
                r.NumCachedTokens = cached;
                StartRunning(r);
                budget -= want;
                scheduled.Add(Describe(r, cached, want));
            }
        }

        _snapshot.Clear();
        _pending = new SchedulerStep(_steps++, scheduled, preempted ?? (IReadOnlyList<Request>)[]);
        foreach (var q in scheduled)
        {
            if (q.IsPrefill) TotalPrefillTokens += q.Count;
            else TotalDecodeTokens += q.Count;
        }
        return _pending;
    }

    /// <summary>
    /// Applies a step's results: advances each scheduled request's computed tokens, caches its newly full blocks,
    /// appends the sampled token where <see cref="ScheduledSequence.SampleNext"/> was set, and finishes requests
    /// that hit EOS, their max tokens or the max model length (freeing their blocks at once).
    /// The returned list is reused by the next call. <paramref name="sampledTokens"/> is aligned with <see cref="SchedulerStep.Sequences"/>; entries for sequences
    /// that did not sample, or that were aborted since <see cref="Schedule"/>, are ignored. A negative entry for a
    /// sequence that sampled defers its token (<see cref="Request.AwaitingToken"/>): the engine supplies it later with
    /// <see cref="AppendToken"/> or <see cref="Fork"/> (parallel sampling, beam search).
    /// </summary>
    public IReadOnlyList<TokenEvent> OnStepCompleted(SchedulerStep step, ReadOnlySpan<int> sampledTokens)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!ReferenceEquals(step, _pending)) throw new InvalidOperationException($"step {step.Index} is not the step awaiting completion");
        if (sampledTokens.Length != step.Sequences.Count)
            throw new ArgumentException($"got {sampledTokens.Length} sampled tokens for a step of {step.Sequences.Count} sequences");
        _pending = null;
        var events = _events;
        events.Clear();
        for (int i = 0; i < step.Sequences.Count; i++)
        {
            var s = step.Sequences[i];
            var r = s.Request;
            if (r.State != RequestState.Running) continue; // aborted meanwhile
            r.NumComputedTokens = s.EndPosition;
            _kv.CommitComputed(r.ArrivalOrder, r.AllTokens, r.NumComputedTokens);
            if (!s.SampleNext) continue;
            int token = sampledTokens[i];
            if (token < 0)
            {
                r.AwaitingToken = true;
                continue;
            }
            r.AwaitingToken = false;
            events.Add(new TokenEvent(r, token, Append(r, token)));
        }
        return events;
    }

    /// <summary>
    /// Supplies the next token of a request whose token was deferred (a negative entry for it in
    /// <see cref="OnStepCompleted"/>; <see cref="Request.AwaitingToken"/>). Applies the same finish rules as a step
    /// (EOS, max tokens, max model length; finishing frees its blocks) and returns the finish reason, if any.
    /// </summary>
    public FinishReason? AppendToken(Request request, int token)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_live.TryGetValue(request.Id, out var r) || !ReferenceEquals(r, request))
            throw new InvalidOperationException($"request '{request.Id}' is not live");
        if (!r.AwaitingToken) throw new InvalidOperationException($"request '{r.Id}' is not awaiting a token");
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        r.AwaitingToken = false;
        return Append(r, token);
    }

    /// <summary>
    /// Creates request <paramref name="childId"/> continuing <paramref name="parent"/> (which must be awaiting a
    /// token) with <paramref name="token"/> as its next output. When the parent holds KV blocks the child shares all of
    /// them by reference counts (parallel sampling after prefill, a beam split) and diverges by copy-on-write;
    /// otherwise (the parent was preempted) the child queues to recompute. Returns the child and its finish reason
    /// if <paramref name="token"/> already ends it. Forks may push the running count above
    /// <see cref="SchedulerConfig.MaxNumSeqs"/> only transiently (a beam split before the dropped beams are aborted);
    /// the family's reservation of <see cref="Request.MaxSequences"/> slots is what admission counts.
    /// </summary>
    public (Request Child, FinishReason? Finish) Fork(Request parent, string childId, int token)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (_pending is not null) throw new InvalidOperationException("cannot fork while a step is pending");
        if (!_live.TryGetValue(parent.Id, out var p) || !ReferenceEquals(p, parent))
            throw new InvalidOperationException($"request '{parent.Id}' is not live");
        if (!p.AwaitingToken) throw new InvalidOperationException($"request '{p.Id}' is not awaiting a token");
        if (_live.ContainsKey(childId)) throw new ArgumentException($"request id '{childId}' is already in use");
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        var child = p.CloneAs(childId);
        child.ArrivalOrder = _arrivals++;
        _live.Add(child.Id, child);
        if (p.State == RequestState.Running)
        {
            _kv.Fork(p.ArrivalOrder, child.ArrivalOrder);
            child.NumComputedTokens = p.NumComputedTokens;
            child.NumCachedTokens = p.NumCachedTokens;
            StartRunning(child);
        }
        else
        {
            child.State = RequestState.Preempted;
            AddWaiting(child);
        }
        return (child, Append(child, token));
    }

    /// <summary>
    /// Preempts running request <paramref name="requestId"/> by recompute (its blocks are released, full ones stay in
    /// the prefix cache). The engine uses it to unblock admission when every running request is awaiting a token.
    /// Returns false when the request is not running.
    /// </summary>
    public bool Preempt(string requestId)
    {
        if (_pending is not null) throw new InvalidOperationException("cannot preempt while a step is pending");
        if (!_live.TryGetValue(requestId, out var r) || r.State != RequestState.Running) return false;
        Preempt(r);
        return true;
    }

    private FinishReason? Append(Request r, int token)
    {
        r.AppendOutput(token);
        FinishReason? finish = r.IsEos(token) ? FinishReason.Stop
            : r.NumOutputTokens >= r.MaxTokens || r.NumTokens >= MaxModelLength ? FinishReason.Length
            : null;
        if (finish is { } f) Finish(r, f);
        return finish;
    }

    /// <summary>
    /// Reserves up to <paramref name="want"/> slots for running request <paramref name="r"/>, shrinking a prefill
    /// chunk to what fits and preempting less important requests when not even one token fits. Returns the tokens
    /// reserved, 0 when <paramref name="r"/> itself was preempted.
    /// </summary>
    private int ReserveRunning(Request r, int want, List<ScheduledSequence> scheduled, ref List<Request>? preempted, ref int budget)
    {
        while (true)
        {
            int fits = Math.Min(want, _kv.MaxAllocatableTokens(r.ArrivalOrder, []));
            if (fits > 0)
            {
                if (!_kv.TryAllocateSlots(r.ArrivalOrder, r.Seed, [], fits))
                    throw new InvalidOperationException($"KV allocation of {fits} tokens for '{r.Id}' failed after the pool reported room");
                return fits;
            }
            var victim = PickVictim();
            for (int i = 0; i < scheduled.Count; i++)
            {
                if (!ReferenceEquals(scheduled[i].Request, victim)) continue;
                budget += scheduled[i].Count;
                scheduled.RemoveAt(i);
                break;
            }
            Preempt(victim);
            (preempted ??= []).Add(victim);
            if (ReferenceEquals(victim, r)) return 0;
        }
    }

    private Request PickVictim()
    {
        Request victim = _running[0];
        foreach (var r in _running)
            if (CompareForService(r, victim) > 0) victim = r;
        return victim;
    }

    private void Preempt(Request r)
    {
        _kv.Free(r.ArrivalOrder);
        StopRunning(r);
        r.State = RequestState.Preempted;
        r.NumComputedTokens = 0;
        r.NumPreemptions++;
        TotalPreemptions++;
        AddWaiting(r);
    }

    private void Finish(Request r, FinishReason reason)
    {
        _kv.Free(r.ArrivalOrder);
        if (r.State == RequestState.Running) StopRunning(r);
        else RemoveWaiting(r);
        r.State = RequestState.Finished;
        r.FinishReason = reason;
        _live.Remove(r.Id);
    }

    /// <summary>Sequence slots that admitting <paramref name="r"/> takes: its family's width unless a sibling already runs.</summary>
    private static int SlotsToStart(Request r) => r.Group.Running > 0 ? 0 : r.Group.Width;

    private void StartRunning(Request r)
    {
        r.State = RequestState.Running;
        _running.Add(r);
        if (r.Group.Running++ == 0) _reservedSeqs += r.Group.Width;
    }

    private void StopRunning(Request r)
    {
        _running.Remove(r);
        if (--r.Group.Running == 0) _reservedSeqs -= r.Group.Width;
    }

    private void AddWaiting(Request r)
    {
        _waiting.Add(r);
        if (r.State == RequestState.Preempted) _numPreempted++;
    }

    private void RemoveWaiting(Request r)
    {
        if (_waiting.Remove(r) && r.State == RequestState.Preempted) _numPreempted--;
    }

    /// <summary>
    /// Checks the block accounting against the requests (for tests and debug hooks; allocates): the pool is
    /// internally consistent, exactly the running requests hold block tables, every block's reference count equals the
    /// number of tables that hold it (so nothing unreferenced is in use and nothing referenced is free), and the
    /// sequence-slot reservation matches the running fork families. Throws <see cref="InvalidOperationException"/>
    /// naming the first violation.
    /// </summary>
    public void Audit()
    {
        _kv.Audit();
        if (_kv.SequenceCount != _running.Count)
            throw new InvalidOperationException($"{_kv.SequenceCount} sequences hold KV blocks but {_running.Count} requests are running");
        var groups = new Dictionary<SequenceGroup, int>();
        foreach (var r in _running)
        {
            if (r.State != RequestState.Running) throw new InvalidOperationException($"request '{r.Id}' is in the running list in state {r.State}");
            if (!_kv.Contains(r.ArrivalOrder)) throw new InvalidOperationException($"running request '{r.Id}' has no block table");
            if (_kv.Table(r.ArrivalOrder).NumTokens < r.NumComputedTokens)
                throw new InvalidOperationException($"request '{r.Id}' has {r.NumComputedTokens} computed tokens but only {_kv.Table(r.ArrivalOrder).NumTokens} slots");
            groups[r.Group] = groups.GetValueOrDefault(r.Group) + 1;
        }
        int reserved = 0, preempted = 0;
        foreach (var (g, n) in groups)
        {
            if (g.Running != n) throw new InvalidOperationException($"a fork family counts {g.Running} running members, {n} are running");
            reserved += g.Width;
        }
        if (reserved != _reservedSeqs) throw new InvalidOperationException($"{_reservedSeqs} sequence slots are reserved, the running families need {reserved}");
        if (_pending is null && reserved > Config.MaxNumSeqs) throw new InvalidOperationException($"{reserved} sequence slots reserved exceed max num seqs {Config.MaxNumSeqs}");
        foreach (var r in _waiting)
        {
            if (_kv.Contains(r.ArrivalOrder)) throw new InvalidOperationException($"waiting request '{r.Id}' still holds KV blocks");
            if (r.State == RequestState.Preempted) preempted++;
        }
        if (preempted != _numPreempted) throw new InvalidOperationException($"{preempted} preempted requests wait but the counter says {_numPreempted}");
    }

    private ScheduledSequence Describe(Request r, int start, int count) =>
        new(r, r.TokenSlice(start, count), start, _kv.Table(r.ArrivalOrder),
            sampleNext: start + count == r.NumTokens, isPrefill: start < r.PromptLength || count > 1);

    /// <summary>Negative when <paramref name="a"/> should be served before <paramref name="b"/>.</summary>
    private int CompareForService(Request a, Request b)
    {
        if (Config.Policy == SchedulingPolicy.Priority)
        {
            int c = a.Priority.CompareTo(b.Priority);
            if (c != 0) return c;
        }
        return a.ArrivalOrder.CompareTo(b.ArrivalOrder);
    }
}
