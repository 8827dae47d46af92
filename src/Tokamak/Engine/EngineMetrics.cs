namespace Tokamak.Engine;

/// <summary>
/// A consistent snapshot of the engine's counters, taken by the engine thread after each step (what a server exports
/// as metrics). Block counts satisfy <c>Used + Free + Cached == Total</c>. Counters named Total… and …Steps only grow,
/// so a rate or an average over an interval is the difference of two snapshots.
/// </summary>
public sealed record EngineMetrics
{
    /// <summary>Physical KV blocks.</summary>
    public int KvBlocksTotal { get; init; }
    /// <summary>Blocks referenced by live sequences.</summary>
    public int KvBlocksUsed { get; init; }
    /// <summary>Unreferenced blocks without cached content.</summary>
    public int KvBlocksFree { get; init; }
    /// <summary>Unreferenced blocks kept for prefix-cache hits (evictable).</summary>
    public int KvBlocksCached { get; init; }
    /// <summary>Token slots per block.</summary>
    public int KvBlockSize { get; init; }
    /// <summary>KV utilization: Used / Total blocks, 0..1.</summary>
    public double KvUsage => KvBlocksTotal == 0 ? 0 : (double)KvBlocksUsed / KvBlocksTotal;
    /// <summary>Token slots in used blocks that hold no K/V yet (each sequence's last-block tail; shared tails counted once).</summary>
    public double KvUnfilledSlots { get; init; }
    /// <summary>KV waste: unfilled slots ÷ slots of used blocks, in percent (0 when nothing is allocated).</summary>
    public double KvWastePercent => KvBlocksUsed == 0 ? 0 : 100.0 * KvUnfilledSlots / ((double)KvBlocksUsed * KvBlockSize);
    /// <summary>Σ over steps of used blocks × block size (for an average utilization or waste over an interval).</summary>
    public double KvAllocatedSlotSteps { get; init; }
    /// <summary>Σ over steps of <see cref="KvUnfilledSlots"/>; ÷ <see cref="KvAllocatedSlotSteps"/> is the step-averaged waste.</summary>
    public double KvUnfilledSlotSteps { get; init; }
    /// <summary>Requests with at least one sequence holding KV blocks.</summary>
    public int RunningRequests { get; init; }
    /// <summary>Requests submitted but not running: queued for admission (or a static batch), or all sequences preempted.</summary>
    public int WaitingRequests { get; init; }
    /// <summary>Sequences preempted by recompute and waiting to be readmitted.</summary>
    public int PreemptedSequences { get; init; }
    /// <summary>Sequences holding KV blocks (a request with n choices or beams counts each).</summary>
    public int RunningSequences { get; init; }
    /// <summary>Sequences queued (new or preempted).</summary>
    public int WaitingSequences { get; init; }
    /// <summary>Requests submitted and not yet finished.</summary>
    public int ActiveRequests { get; init; }
    /// <summary>Prompt tokens served from the prefix cache / prompt tokens looked up (the prefix-cache hit rate, 0..1).</summary>
    public double PrefixCacheHitRatio { get; init; }
    /// <summary>Prompt tokens looked up in the prefix cache so far (every admission, readmissions after preemption included).</summary>
    public long PrefixCacheQueriedTokens { get; init; }
    /// <summary>Of <see cref="PrefixCacheQueriedTokens"/>, tokens served from the cache.</summary>
    public long PrefixCacheHitTokens { get; init; }
    /// <summary>Admissions that reused at least one cached block / admissions.</summary>
    public double PrefixCacheRequestHitRatio { get; init; }
    /// <summary>Prompt tokens of all admitted requests.</summary>
    public long TotalPromptTokens { get; init; }
    /// <summary>Tokens generated (sampled) so far.</summary>
    public long TotalGenerationTokens { get; init; }
    /// <summary>Tokens run through the model (prefill, recompute and decode).</summary>
    public long TotalComputedTokens { get; init; }
    /// <summary>Of <see cref="TotalComputedTokens"/>, prompt and recompute tokens (not one-token decodes).</summary>
    public long TotalPrefillTokens { get; init; }
    /// <summary>Preemptions by recompute so far.</summary>
    public long Preemptions { get; init; }
    /// <summary>Model steps run so far.</summary>
    public long Steps { get; init; }
    /// <summary>Seconds since the engine started.</summary>
    public double UptimeSeconds { get; init; }
    /// <summary>Generated tokens per second over the last few seconds.</summary>
    public double GenerationTokensPerSecond { get; init; }
    /// <summary>Prompt tokens admitted per second over the last few seconds.</summary>
    public double PromptTokensPerSecond { get; init; }
}
