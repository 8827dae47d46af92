using System.Collections.Concurrent;
using Tokamak.Engine.Kv;
using Tokamak.Engine.Sampling;
using Tokamak.Engine.Scheduling;
using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Engine;

/// <summary>
/// The serving engine: many concurrent requests over one model, with a paged KV cache (PagedAttention), automatic
/// prefix caching, iteration-level continuous batching with chunked prefill and preemption by recompute, parallel
/// sampling (<see cref="EngineRequest.N"/>) and beam search sharing KV blocks by reference counts.
/// <para>Threading: <see cref="Submit"/>, <see cref="Abort"/> and <see cref="Metrics"/> may be called from any
/// thread. The engine runs its loop on one dedicated background thread, which alone touches the scheduler, the KV
/// cache and the model: each iteration takes new submissions and aborts, schedules one step, runs all its tokens
/// through the model in one batched forward, samples, and streams events to each request's channel.</para>
/// <para>With <see cref="EngineOptions.Batching"/> = <see cref="BatchingMode.Static"/> the loop instead admits a whole
/// batch at a time and nothing else until it has finished (the baseline continuous batching is measured against).
/// <see cref="Metrics"/> carries the serving counters (requests, KV blocks, utilization and waste, prefix hits, rates).</para>
/// <para>Under greedy decoding a request's tokens do not depend on what else is batched with it, on preemption or
/// on prefix-cache hits (up to float rounding of the batched kernels).</para>
/// </summary>
public sealed class LlmEngine : IDisposable
{
    private readonly ModelConfig _config;
    private readonly LlamaModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly EngineOptions _options;
    private readonly KvPool _kvPool;
    private readonly Scheduler _sched;
    private readonly PagedBatch _batch = new();
    private readonly PagedForwardState _forward;
    private readonly int[] _eosIds;
    private readonly ConcurrentQueue<RequestGroup> _incoming = new();
    private readonly ConcurrentQueue<string> _aborts = new();
    private readonly ConcurrentDictionary<string, RequestGroup> _live = new();
    private readonly Dictionary<Request, (RequestGroup Group, ChoiceStream? Choice)> _owners = new();
    private readonly List<RequestGroup> _groups = [];
    private readonly List<RequestGroup> _forkPending = [];
    private readonly List<RequestGroup> _completed = [];
    private readonly List<RequestGroup> _staticQueue = [];  // static batching: submitted, not yet admitted (arrival order)
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly RateMeter _genRate = new(2.0), _promptRate = new(2.0);
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly float[] _raw;   // [vocab] raw logits kept for logprobs (sampling edits its input)
    private readonly float[] _work;  // [vocab] per-choice copy when n > 1 choices sample one prompt's logits
    private int[] _sampled = new int[64];
    private int[] _rows = new int[64];
    private long _nextId;
    private long _promptTokens, _generationTokens, _computedTokens, _steps;
    private double _allocatedSlotSteps, _unfilledSlotSteps;
    private int _publishStamp;
    private EngineMetrics _metrics = new();
    private volatile bool _stopping;
    private volatile Exception? _fault;
    private bool _disposed;

    /// <summary>
    /// Creates the engine over loaded weights and starts its loop. The KV pool is allocated now from
    /// <see cref="EngineOptions.KvCacheBytes"/> (or a fraction of available RAM, capped at what
    /// <see cref="EngineOptions.MaxNumSeqs"/> full-length sequences need). Throws <see cref="ArgumentException"/> when
    /// the options are invalid or the budget holds less than one block, <see cref="NotSupportedException"/> when the
    /// tokenizer cannot be detokenized incrementally.
    /// </summary>
    public LlmEngine(ModelConfig config, LlamaWeights weights, Tokenizer tokenizer, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new EngineOptions();
        options.Validate();
        _config = config;
        _model = new LlamaModel(config, weights);
        _tokenizer = tokenizer;
        _options = options;
        _ = new StreamingDetokenizer(tokenizer, options.SkipSpecialTokens); // fail now, not on the first request
        _eosIds = config.EosTokenIds.Count > 0 ? [.. config.EosTokenIds] : tokenizer.EosId is { } e ? [e] : [];

        var spec = new KvCacheSpec(config.Layers, config.KvHeads, config.HeadDim, options.BlockSize, options.KvCacheDType);
        int modelMax = options.MaxModelLength is { } m ? Math.Min(m, config.MaxPositions) : config.MaxPositions;
        int blocks;
        if (options.KvCacheBytes is { } bytes) blocks = KvPool.BlocksForBudget(bytes, spec);
        else
        {
            blocks = KvPool.BlocksForBudget((long)(AvailableMemoryBytes() * options.KvCacheMemoryFraction), spec);
            blocks = (int)Math.Min(blocks, (long)options.MaxNumSeqs * spec.BlocksForTokens(modelMax));
        }
        MaxModelLength = (int)Math.Min(modelMax, (long)blocks * spec.BlockSize);
        if (MaxModelLength < 2)
            throw new ArgumentException($"the KV cache holds only {MaxModelLength} token(s); at least 2 are needed");
        _kvPool = new KvPool(spec, blocks);
        var kv = new KvCacheManager(spec, blocks, _kvPool, options.EnablePrefixCaching);
        _sched = new Scheduler(new SchedulerConfig
        {
            MaxBatchedTokens = options.MaxBatchedTokens,
            MaxNumSeqs = options.MaxNumSeqs,
            EnableChunkedPrefill = options.EnableChunkedPrefill,
            LongPrefillTokenThreshold = options.LongPrefillTokenThreshold,
            MaxModelLength = MaxModelLength,
            Policy = options.Policy,
        }, kv);
        _forward = new PagedForwardState(config, options.MaxBatchedTokens, options.MaxNumSeqs);
        _raw = new float[config.VocabSize];
        _work = new float[config.VocabSize];
        KvCacheSpec = spec;
        NumKvBlocks = blocks;
        Publish(afterStep: false);
        _thread = new Thread(Run) { IsBackground = true, Name = "tokamak-engine" };
        _thread.Start();
    }

    /// <summary>Longest sequence (prompt + output) a request may reach; prompts must be shorter.</summary>
    public int MaxModelLength { get; }

    /// <summary>Geometry of the KV cache.</summary>
    public KvCacheSpec KvCacheSpec { get; }

    /// <summary>Physical KV blocks allocated.</summary>
    public int NumKvBlocks { get; }

    /// <summary>The options the engine runs with.</summary>
    public EngineOptions Options => _options;

    /// <summary>
    /// Test and debug hook, called on the engine thread after every scheduling step (also empty ones) once its results
    /// are applied and <see cref="Metrics"/> is published: the scheduler (e.g. for <see cref="Scheduler.Audit"/>), the
    /// step, and the metrics just published. Set it before submitting requests.
    /// </summary>
    internal Action<Scheduler, SchedulerStep, EngineMetrics>? StepObserver { get; set; }

    /// <summary>Latest counters, published by the engine thread after every step (a finished request's blocks are reflected by the time its output stream completes).</summary>
    public EngineMetrics Metrics => Volatile.Read(ref _metrics);

    /// <summary>
    /// Queues <paramref name="request"/> and returns its handle at once; generation starts at the engine's next
    /// step. Cancelling <paramref name="cancellationToken"/> aborts the request (as <see cref="Abort"/>).
    /// Throws <see cref="ArgumentException"/> for an empty or out-of-vocabulary prompt, a prompt of
    /// <see cref="MaxModelLength"/> tokens or more (too long for the context or the KV pool), invalid sampling or
    /// beam parameters, or an id that is already live; <see cref="ObjectDisposedException"/> after
    /// <see cref="Dispose"/>; <see cref="InvalidOperationException"/> when the engine has failed.
    /// </summary>
    public EngineRequestHandle Submit(EngineRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed || _stopping, this);
        if (_fault is { } fault) throw new InvalidOperationException($"the engine has failed: {fault.Message}", fault);
        Validate(request);
        var p = request.Sampling;
        var choices = new ChoiceStream[request.N];
        for (int i = 0; i < choices.Length; i++)
        {
            Sampler? sampler = null;
            if (!request.UseBeamSearch)
            {
                var pi = p.Seed is { } seed ? p with { Seed = unchecked(seed + (ulong)i) } : p;
                sampler = new Sampler(_config.VocabSize, pi, _eosIds);
                sampler.AddPrompt(request.PromptTokenIds is int[] arr ? arr : [.. request.PromptTokenIds]);
            }
            choices[i] = new ChoiceStream(i, _tokenizer, _options.SkipSpecialTokens, p.Stop, sampler);
        }
        var group = new RequestGroup(request, choices) { ArrivalTicks = _clock.ElapsedTicks };
        if (!_live.TryAdd(request.RequestId, group))
            throw new ArgumentException($"request id '{request.RequestId}' is already in use");
        var handle = new EngineRequestHandle(request.RequestId, group.Channel.Reader, group.Done.Task, id => Abort(id));
        if (cancellationToken.CanBeCanceled)
            group.Registration = cancellationToken.Register(static s => ((EngineRequestHandle)s!).Abort(), handle);
        _incoming.Enqueue(group);
        _wake.Set();
        return handle;
    }

    /// <summary>
    /// Aborts live request <paramref name="requestId"/>: at the next step it leaves the scheduler, its KV blocks are
    /// freed and its unfinished choices end with finish reason Abort. Returns false when no such request is live.
    /// </summary>
    public bool Abort(string requestId)
    {
        if (requestId is null || !_live.ContainsKey(requestId)) return false;
        _aborts.Enqueue(requestId);
        _wake.Set();
        return true;
    }

    /// <summary>Stops the loop, aborting every live request, and frees the KV pool.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _disposed = true;
        while (_incoming.TryDequeue(out var g)) Fail(g, new ObjectDisposedException(nameof(LlmEngine)));
        _kvPool.Dispose();
        _forward.Dispose();
        _wake.Dispose();
    }

    private void Validate(EngineRequest r)
    {
        ArgumentException.ThrowIfNullOrEmpty(r.RequestId);
        if (r.PromptTokenIds is null || r.PromptTokenIds.Count == 0) throw new ArgumentException($"request '{r.RequestId}' has an empty prompt");
        if (r.PromptTokenIds.Count >= MaxModelLength)
            throw new ArgumentException($"prompt of request '{r.RequestId}' has {r.PromptTokenIds.Count} tokens; the limit is {MaxModelLength - 1} (context/KV capacity {MaxModelLength})");
        foreach (int t in r.PromptTokenIds)
            if ((uint)t >= (uint)_config.VocabSize)
                throw new ArgumentException($"prompt of request '{r.RequestId}' has token id {t} outside the vocabulary (0..{_config.VocabSize - 1})");
        ArgumentNullException.ThrowIfNull(r.Sampling);
        r.Sampling.Validate();
        if (r.N < 1 || r.N > 256) throw new ArgumentException($"n must be between 1 and 256, got {r.N}");
        if (r.UseBeamSearch)
        {
            if (r.BeamWidth < 1 || r.BeamWidth > 256) throw new ArgumentException($"beam width must be between 1 and 256, got {r.BeamWidth}");
            if (r.N > r.BeamWidth) throw new ArgumentException($"n ({r.N}) must not exceed the beam width ({r.BeamWidth})");
            if (!float.IsFinite(r.LengthPenalty)) throw new ArgumentException($"length penalty must be finite, got {r.LengthPenalty}");
        }
        int width = r.UseBeamSearch ? r.BeamWidth : r.N;
        if (width > _options.MaxNumSeqs)
            throw new ArgumentException($"request '{r.RequestId}' needs {width} sequences ({(r.UseBeamSearch ? "beam width" : "n")}); max num seqs is {_options.MaxNumSeqs}");
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                DrainIncoming();
                DrainAborts();
                if (!_sched.HasUnfinishedRequests)
                {
                    Publish(afterStep: false);
                    FlushCompleted();
                    if (StaticBatchWait() is { } wait) _wake.WaitOne(wait);
                    else _wake.WaitOne();
                    continue;
                }
                var step = Step();
                var metrics = Publish(afterStep: !step.IsEmpty);
                StepObserver?.Invoke(_sched, step, metrics);
                FlushCompleted();
            }
            DrainIncoming();
            foreach (var g in _staticQueue) AbortGroup(g);
            _staticQueue.Clear();
            foreach (var g in _groups.ToArray()) AbortGroup(g);
            Publish(afterStep: false);
            FlushCompleted();
        }
        catch (Exception ex)
        {
            _fault = ex;
            foreach (var g in _groups) Fail(g, ex);
            foreach (var g in _staticQueue) Fail(g, ex);
            while (_incoming.TryDequeue(out var g)) Fail(g, ex);
            _groups.Clear();
        }
    }

    private SchedulerStep Step()
    {
        var step = _sched.Schedule();
        if (step.IsEmpty)
        {
            _sched.OnStepCompleted(step, []);
            if (!UnblockAwaitingBeams()) _wake.WaitOne(1);
            return step;
        }
        var seqs = step.Sequences;
        int n = seqs.Count;
        if (_sampled.Length < n)
        {
            _sampled = new int[Math.Max(n, _sampled.Length * 2)];
            _rows = new int[_sampled.Length];
        }
        _batch.Clear();
        for (int i = 0; i < n; i++)
        {
            var s = seqs[i];
            _rows[i] = _batch.Add(s.TokenIds.Span, s.StartPosition, s.BlockTable.Blocks, s.SampleNext);
            if (_owners.TryGetValue(s.Request, out var o) && o.Group.CachedTokens is null && ReferenceEquals(s.Request, o.Group.Root))
            {
                o.Group.CachedTokens = s.Request.NumCachedTokens;
                _promptTokens += s.Request.PromptLength;
            }
        }
        _model.ForwardPaged(_batch, _kvPool, _forward);
        _computedTokens += step.TotalTokens;
        _steps++;
        for (int i = 0; i < n; i++)
            _sampled[i] = seqs[i].SampleNext ? ChooseToken(seqs[i].Request, _forward.Logits(_rows[i])) : -1;

        var events = _sched.OnStepCompleted(step, _sampled.AsSpan(0, n));
        for (int i = 0; i < events.Count; i++) OnToken(events[i].Request, events[i].Token, events[i].Finish);
        ResolveForks();
        ResolveBeams();
        return step;
    }

    /// <summary>The next token of <paramref name="r"/>, or −1 to defer it (beam search, parallel-sampling fork).</summary>
    private int ChooseToken(Request r, Span<float> logits)
    {
        if (!_owners.TryGetValue(r, out var o)) return -1;
        var g = o.Group;
        if (g.Beams is { } beams)
        {
            if (beams.Find(r) is { Candidates: null } beam) beams.SetCandidates(beam, logits);
            return -1;
        }
        if (g.Choices.Length > 1 && !g.Forked)
        {
            // The prompt is computed once; every choice samples its first token from the same logits, then the
            // choices fork the prompt's blocks (ResolveForks).
            var tokens = new int[g.Choices.Length];
            bool lp = WantsLogprobs(g);
            foreach (var c in g.Choices)
            {
                logits.CopyTo(_work);
                tokens[c.Index] = SampleWith(c, _work, lp ? logits : default);
            }
            g.Forked = true;
            g.PendingForkTokens = tokens;
            _forkPending.Add(g);
            return -1;
        }
        var choice = o.Choice!;
        bool wantLp = WantsLogprobs(g);
        if (wantLp) logits.CopyTo(_raw);
        return SampleWith(choice, logits, wantLp ? _raw : default);
    }

    private static bool WantsLogprobs(RequestGroup g) => g.Request.Sampling.Logprobs || g.Request.Sampling.TopLogprobs > 0;

    /// <summary>Samples into <paramref name="logits"/> (modified); <paramref name="raw"/> (unmodified) feeds logprobs when requested.</summary>
    private int SampleWith(ChoiceStream c, Span<float> logits, ReadOnlySpan<float> raw)
    {
        int token = c.Sampler!.Sample(logits);
        c.Sampler.Accept(token);
        if (!raw.IsEmpty) c.PendingLogprobs = c.Sampler.Logprobs(raw, token);
        return token;
    }

    private void OnToken(Request r, int token, FinishReason? finish)
    {
        if (!_owners.TryGetValue(r, out var o) || o.Choice is null) return;
        _generationTokens++;
        var (output, stopHit) = o.Choice.OnToken(token, finish);
        if (stopHit) _sched.Abort(r.Id);
        if (o.Choice.Finished) _owners.Remove(r);
        Write(o.Group, output);
    }

    private void ResolveForks()
    {
        foreach (var g in _forkPending)
        {
            var tokens = g.PendingForkTokens;
            g.PendingForkTokens = null;
            if (tokens is null || g.Completed) continue;
            var parent = g.Root!;
            for (int i = 1; i < tokens.Length; i++)
            {
                var (child, finish) = _sched.Fork(parent, NewId(), tokens[i]);
                g.Choices[i].Request = child;
                _owners[child] = (g, g.Choices[i]);
                OnToken(child, tokens[i], finish);
            }
            OnToken(parent, tokens[0], _sched.AppendToken(parent, tokens[0]));
        }
        _forkPending.Clear();
    }

    private void ResolveBeams()
    {
        // Backwards: finishing a search removes its group from _groups.
        for (int gi = _groups.Count - 1; gi >= 0; gi--)
        {
            if (gi >= _groups.Count) continue;
            var g = _groups[gi];
            if (g.Beams is not { Ready: true } beams) continue;
            var next = beams.Decide();
            if (next is null)
            {
                FinishBeams(g);
                continue;
            }
            _generationTokens += next.Count;
            // Forks first (the parent must still be awaiting its token), then continue each parent with its best
            // child, then drop parents that have none: their blocks return to the pool now.
            var continued = new Dictionary<BeamSearch.Beam, (int Token, double Cum)>();
            var live = new List<BeamSearch.Beam>(next.Count);
            foreach (var (parent, token, cum) in next)
            {
                if (continued.TryAdd(parent, (token, cum))) continue;
                var (child, finish) = _sched.Fork(parent.Request, NewId(), token);
                if (finish is not null) throw new InvalidOperationException($"beam fork of '{g.Id}' finished unexpectedly ({finish})");
                _owners[child] = (g, null);
                live.Add(new BeamSearch.Beam(child, cum));
            }
            foreach (var b in beams.Live)
            {
                if (continued.TryGetValue(b, out var c))
                {
                    if (_sched.AppendToken(b.Request, c.Token) is { } finish)
                        throw new InvalidOperationException($"beam of '{g.Id}' finished unexpectedly ({finish})");
                    b.Cum = c.Cum;
                    b.Candidates = null;
                    live.Add(b);
                }
                else
                {
                    _sched.Abort(b.Request.Id);
                    _owners.Remove(b.Request);
                }
            }
            live.Sort((x, y) => y.Cum.CompareTo(x.Cum));
            beams.Live.Clear();
            beams.Live.AddRange(live);
        }
    }

    private void FinishBeams(RequestGroup g)
    {
        var beams = g.Beams!;
        var results = beams.Results(g.Choices.Length);
        foreach (var b in beams.Live)
        {
            _sched.Abort(b.Request.Id);
            _owners.Remove(b.Request);
        }
        beams.Live.Clear();
        for (int i = 0; i < g.Choices.Length; i++)
        {
            var c = g.Choices[i];
            var hyp = i < results.Count ? results[i] : null;
            if (hyp is null || hyp.Tokens.Length == 0)
            {
                Write(g, c.OnAbort() with { FinishReason = hyp?.Reason ?? FinishReason.Length });
                continue;
            }
            for (int j = 0; j < hyp.Tokens.Length && !c.Finished; j++)
                Write(g, c.OnToken(hyp.Tokens[j], j == hyp.Tokens.Length - 1 ? hyp.Reason : null).Output);
        }
    }

    /// <summary>When a step is empty because waiting requests cannot get blocks held by beams awaiting their group, preempt those beams.</summary>
    private bool UnblockAwaitingBeams()
    {
        if (_sched.NumWaiting == 0) return false;
        bool any = false;
        foreach (var g in _groups)
            if (g.Beams is { } beams)
                foreach (var b in beams.Live)
                    if (b.Candidates is not null && b.Request.State == RequestState.Running) any |= _sched.Preempt(b.Request.Id);
        return any;
    }

    private void DrainIncoming()
    {
        bool isStatic = _options.Batching == BatchingMode.Static;
        while (_incoming.TryDequeue(out var g))
        {
            if (isStatic) _staticQueue.Add(g);
            else Admit(g);
        }
        if (isStatic) AdmitStaticBatch();
    }

    /// <summary>Static batching: when the previous batch has finished and a batch is full or its wait has timed out, admit it.</summary>
    private void AdmitStaticBatch()
    {
        if (_staticQueue.Count == 0 || _groups.Count > 0 || _sched.HasUnfinishedRequests) return;
        if (_staticQueue.Count < _options.StaticBatchSize && StaticBatchWait() is > 0) return;
        int n = Math.Min(_options.StaticBatchSize, _staticQueue.Count);
        for (int i = 0; i < n; i++) Admit(_staticQueue[i]);
        _staticQueue.RemoveRange(0, n);
    }

    /// <summary>Milliseconds until the queued static batch times out (0 when due), or null when nothing is queued.</summary>
    private int? StaticBatchWait()
    {
        if (_staticQueue.Count == 0) return null;
        double waited = (_clock.ElapsedTicks - _staticQueue[0].ArrivalTicks) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        return (int)Math.Ceiling(Math.Max(0, _options.StaticBatchTimeout.TotalMilliseconds - waited));
    }

    private void Admit(RequestGroup g)
    {
        var req = g.Request;
        var p = req.Sampling;
        int[] prompt = [.. req.PromptTokenIds];
        int maxOut = Math.Min(p.MaxTokens, MaxModelLength - prompt.Length);
        var stopIds = new HashSet<int>(p.StopTokenIds);
        if (!p.IgnoreEos) stopIds.UnionWith(_eosIds);
        // Beams never let the scheduler finish them on a stop token: the beam search decides.
        var root = new Request(NewId(), prompt, maxOut, req.Priority, req.UseBeamSearch ? [] : stopIds, req.CacheSalt,
            maxSequences: req.UseBeamSearch ? req.BeamWidth : req.N);
        try
        {
            _sched.AddRequest(root);
        }
        catch (ArgumentException ex)
        {
            Fail(g, ex);
            return;
        }
        g.Root = root;
        if (req.UseBeamSearch)
        {
            g.Beams = new BeamSearch(req.BeamWidth, req.LengthPenalty, req.EarlyStopping, maxOut, p.MinTokens, stopIds);
            g.Beams.Live.Add(new BeamSearch.Beam(root, 0));
            _owners[root] = (g, null);
        }
        else
        {
            g.Choices[0].Request = root;
            _owners[root] = (g, g.Choices[0]);
        }
        _groups.Add(g);
    }

    private void DrainAborts()
    {
        while (_aborts.TryDequeue(out var id))
        {
            var g = _groups.Find(x => x.Id == id);
            if (g is null && _staticQueue.FindIndex(x => x.Id == id) is var q and >= 0)
            {
                g = _staticQueue[q];
                _staticQueue.RemoveAt(q);
            }
            if (g is not null) AbortGroup(g);
        }
    }

    private void AbortGroup(RequestGroup g)
    {
        foreach (var (r, o) in _owners.ToArray())
        {
            if (!ReferenceEquals(o.Group, g)) continue;
            _sched.Abort(r.Id);
            _owners.Remove(r);
        }
        g.Beams?.Live.Clear();
        g.PendingForkTokens = null;
        foreach (var c in g.Choices)
            if (!c.Finished) Write(g, c.OnAbort());
    }

    private void Write(RequestGroup g, EngineOutput output)
    {
        if (g.Completed) return;
        if (g.AllChoicesFinished)
        {
            g.Completed = true;
            g.Channel.Writer.TryWrite(output with { Usage = g.Usage() });
            _groups.Remove(g);
            _completed.Add(g);
        }
        else
        {
            g.Channel.Writer.TryWrite(output);
        }
    }

    private void FlushCompleted()
    {
        foreach (var g in _completed)
        {
            _live.TryRemove(g.Id, out _);
            g.Registration.Dispose();
            g.Channel.Writer.TryComplete();
            g.Done.TrySetResult(g.Usage());
        }
        _completed.Clear();
    }

    private void Fail(RequestGroup g, Exception ex)
    {
        _live.TryRemove(g.Id, out _);
        g.Channel.Writer.TryComplete(ex);
        g.Done.TrySetException(ex);
    }

    /// <summary>Publishes a new metrics snapshot; <paramref name="afterStep"/> adds this state to the step-summed KV counters.</summary>
    private EngineMetrics Publish(bool afterStep)
    {
        var kv = _sched.KvCache;
        var stats = kv.Blocks.Stats;
        double unfilled = kv.UnfilledSlots();
        if (afterStep)
        {
            _allocatedSlotSteps += (double)stats.Used * kv.BlockSize;
            _unfilledSlotSteps += unfilled;
        }
        // Requests with a running sequence, counted once each via a per-publish stamp (no allocation).
        int running = 0;
        _publishStamp++;
        foreach (var r in _sched.Running)
            if (_owners.TryGetValue(r, out var o) && o.Group.Stamp != _publishStamp)
            {
                o.Group.Stamp = _publishStamp;
                running++;
            }
        double now = _clock.Elapsed.TotalSeconds;
        var pc = kv.PrefixCache;
        var m = new EngineMetrics
        {
            KvBlocksTotal = stats.Capacity,
            KvBlocksUsed = stats.Used,
            KvBlocksFree = stats.Free,
            KvBlocksCached = stats.Cached,
            KvBlockSize = kv.BlockSize,
            KvUnfilledSlots = unfilled,
            KvAllocatedSlotSteps = _allocatedSlotSteps,
            KvUnfilledSlotSteps = _unfilledSlotSteps,
            RunningRequests = running,
            WaitingRequests = _groups.Count - running + _staticQueue.Count,
            PreemptedSequences = _sched.NumPreempted,
            RunningSequences = _sched.NumRunning,
            WaitingSequences = _sched.NumWaiting,
            ActiveRequests = _groups.Count + _staticQueue.Count,
            PrefixCacheHitRatio = pc.HitRatio,
            PrefixCacheQueriedTokens = pc.QueriedTokens,
            PrefixCacheHitTokens = pc.HitTokens,
            PrefixCacheRequestHitRatio = pc.Queries == 0 ? 0 : (double)pc.Hits / pc.Queries,
            TotalPromptTokens = _promptTokens,
            TotalGenerationTokens = _generationTokens,
            TotalComputedTokens = _computedTokens,
            TotalPrefillTokens = _sched.TotalPrefillTokens,
            Preemptions = _sched.TotalPreemptions,
            Steps = _steps,
            UptimeSeconds = now,
            GenerationTokensPerSecond = _genRate.Update(now, _generationTokens),
            PromptTokensPerSecond = _promptRate.Update(now, _promptTokens),
        };
        Volatile.Write(ref _metrics, m);
        return m;
    }

    private string NewId() => "s" + (_nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static long AvailableMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
