namespace Tokamak.Engine;

/// <summary>
/// A consistent snapshot of the engine's counters, taken by the engine thread after each step (what a server exports
/// as metrics). Block counts satisfy <c>Used + Free + Cached == Total</c>.
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
    /// <summary>Used / Total.</summary>
    public double KvUsage => KvBlocksTotal == 0 ? 0 : (double)KvBlocksUsed / KvBlocksTotal;
    /// <summary>Sequences holding KV blocks (a request with n choices or beams counts each).</summary>
    public int RunningSequences { get; init; }
    /// <summary>Sequences queued (new or preempted).</summary>
    public int WaitingSequences { get; init; }
    /// <summary>Requests submitted and not yet finished.</summary>
    public int ActiveRequests { get; init; }
    /// <summary>Prompt tokens served from the prefix cache / prompt tokens looked up.</summary>
    public double PrefixCacheHitRatio { get; init; }
    /// <summary>Prompt tokens of all admitted requests.</summary>
    public long TotalPromptTokens { get; init; }
    /// <summary>Tokens generated (sampled) so far.</summary>
    public long TotalGenerationTokens { get; init; }
    /// <summary>Tokens run through the model (prefill, recompute and decode).</summary>
    public long TotalComputedTokens { get; init; }
    /// <summary>Preemptions by recompute so far.</summary>
    public long Preemptions { get; init; }
    /// <summary>Model steps run so far.</summary>
    public long Steps { get; init; }
}
