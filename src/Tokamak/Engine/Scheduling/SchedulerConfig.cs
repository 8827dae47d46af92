namespace Tokamak.Engine.Scheduling;

/// <summary>Order in which waiting requests are admitted and running ones are preempted.</summary>
public enum SchedulingPolicy
{
    /// <summary>First come, first served; the latest arrival is preempted first.</summary>
    Fcfs,
    /// <summary>By <see cref="Request.Priority"/> (lower first), then arrival; the least important is preempted first.</summary>
    Priority,
}

/// <summary>Limits of one scheduling step.</summary>
public sealed record SchedulerConfig
{
    /// <summary>Most tokens computed in one step across all sequences (vLLM max_num_batched_tokens).</summary>
    public int MaxBatchedTokens { get; init; } = 2048;

    /// <summary>Most sequences running at once (vLLM max_num_seqs).</summary>
    public int MaxNumSeqs { get; init; } = 64;

    /// <summary>Split prompts longer than the leftover budget across steps. Off: a prompt is admitted whole or waits.</summary>
    public bool EnableChunkedPrefill { get; init; } = true;

    /// <summary>When positive, at most this many prompt tokens of one request per step, so one long prompt cannot take the whole budget.</summary>
    public int LongPrefillTokenThreshold { get; init; }

    /// <summary>Longest sequence (prompt + outputs); null means what the KV pool can hold.</summary>
    public int? MaxModelLength { get; init; }

    /// <summary>Admission and preemption order.</summary>
    public SchedulingPolicy Policy { get; init; } = SchedulingPolicy.Fcfs;

    /// <summary>Throws <see cref="ArgumentException"/> on limits that could never schedule work or could starve decodes.</summary>
    public void Validate()
    {
        if (MaxNumSeqs < 1) throw new ArgumentException($"max num seqs must be at least 1, got {MaxNumSeqs}");
        if (MaxBatchedTokens < MaxNumSeqs)
            throw new ArgumentException($"max batched tokens ({MaxBatchedTokens}) must be at least max num seqs ({MaxNumSeqs}) so every running sequence can decode each step");
        if (LongPrefillTokenThreshold < 0) throw new ArgumentException($"long prefill token threshold must not be negative, got {LongPrefillTokenThreshold}");
        if (MaxModelLength is < 2) throw new ArgumentException($"max model length must be at least 2, got {MaxModelLength}");
    }
}
