using Tokamak.Engine.Scheduling;

namespace Tokamak.Engine;

/// <summary>Configuration of an <see cref="LlmEngine"/>: KV memory budget, block size and scheduling limits.</summary>
public sealed record EngineOptions
{
    /// <summary>Bytes of KV cache to allocate. When null, <see cref="KvCacheMemoryFraction"/> of the available RAM is used.</summary>
    public long? KvCacheBytes { get; init; }

    /// <summary>Fraction (0, 1] of available RAM (MemAvailable on Linux) given to the KV cache when <see cref="KvCacheBytes"/> is null.</summary>
    public double KvCacheMemoryFraction { get; init; } = 0.3;

    /// <summary>Token slots per KV block (vLLM default 16).</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>
    /// Element type of the KV cache (vLLM <c>kv_cache_dtype</c>): F32, or Int8 with a scale per (token, kv head),
    /// which fits about 4× the blocks (3.8× at head dim 64) in the same <see cref="KvCacheBytes"/>.
    /// </summary>
    public Kv.KvCacheDType KvCacheDType { get; init; } = Kv.KvCacheDType.F32;

    /// <summary>
    /// Most sequences running together (vLLM max_num_seqs). A request with n choices or beam width w takes n or w of
    /// them from its admission until it finishes, so n and the beam width may not exceed it.
    /// </summary>
    public int MaxNumSeqs { get; init; } = 64;

    /// <summary>Most tokens computed in one step across all sequences (vLLM max_num_batched_tokens).</summary>
    public int MaxBatchedTokens { get; init; } = 2048;

    /// <summary>Reuse the KV of cached prompt prefixes across requests (automatic prefix caching).</summary>
    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>Split long prompts over several steps so they never stall running decodes.</summary>
    public bool EnableChunkedPrefill { get; init; } = true;

    /// <summary>When positive, at most this many prompt tokens of one request per step.</summary>
    public int LongPrefillTokenThreshold { get; init; }

    /// <summary>Longest sequence (prompt + output); null: the model's max positions, capped by what the KV pool holds.</summary>
    public int? MaxModelLength { get; init; }

    /// <summary>Admission/preemption order: FCFS or by <see cref="EngineRequest.Priority"/>.</summary>
    public SchedulingPolicy Policy { get; init; } = SchedulingPolicy.Fcfs;

    /// <summary>Continuous (default) or static batching.</summary>
    public BatchingMode Batching { get; init; } = BatchingMode.Continuous;

    /// <summary>Static batching: requests per batch (at most <see cref="MaxNumSeqs"/> in static mode).</summary>
    public int StaticBatchSize { get; init; } = 8;

    /// <summary>Static batching: longest wait for a batch to fill after its first request arrived.</summary>
    public TimeSpan StaticBatchTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Leave special tokens (BOS/EOS, chat markers) out of the streamed text.</summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (KvCacheBytes is <= 0) throw new ArgumentException($"KV cache bytes must be positive, got {KvCacheBytes}");
        if (!(KvCacheMemoryFraction > 0 && KvCacheMemoryFraction <= 1))
            throw new ArgumentException($"KV cache memory fraction must be in (0, 1], got {KvCacheMemoryFraction}");
        if (BlockSize is < 1 or > 1024) throw new ArgumentException($"block size must be between 1 and 1024, got {BlockSize}");
        if (MaxNumSeqs < 1) throw new ArgumentException($"max num seqs must be at least 1, got {MaxNumSeqs}");
        if (MaxBatchedTokens < MaxNumSeqs)
            throw new ArgumentException($"max batched tokens ({MaxBatchedTokens}) must be at least max num seqs ({MaxNumSeqs})");
        if (LongPrefillTokenThreshold < 0) throw new ArgumentException($"long prefill token threshold must not be negative, got {LongPrefillTokenThreshold}");
        if (!Enum.IsDefined(Batching)) throw new ArgumentException($"unknown batching mode {Batching}");
        if (StaticBatchSize < 1 || (Batching == BatchingMode.Static && StaticBatchSize > MaxNumSeqs))
            throw new ArgumentException($"static batch size must be between 1 and max num seqs ({MaxNumSeqs}), got {StaticBatchSize}");
        if (StaticBatchTimeout < TimeSpan.Zero) throw new ArgumentException($"static batch timeout must not be negative, got {StaticBatchTimeout}");
        if (MaxModelLength is < 2) throw new ArgumentException($"max model length must be at least 2, got {MaxModelLength}");
    }
}
