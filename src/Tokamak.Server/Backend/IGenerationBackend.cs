using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Backend;

/// <summary>
/// What the HTTP layer needs from a model runtime: tokenizer and chat template, generation as an async stream of
/// per-choice events, embeddings, and a metrics snapshot. Implemented over the single-sequence
/// <see cref="Tokamak.Engine.Generator"/> (<see cref="GeneratorBackend"/>) and, later, the batching engine.
/// </summary>
public interface IGenerationBackend : IDisposable
{
    /// <summary>The model's own name (the served name is an option of the server).</summary>
    string ModelName { get; }

    /// <summary>Most positions (prompt + output) a sequence may hold.</summary>
    int ContextLength { get; }

    /// <summary>The model's tokenizer.</summary>
    Tokenizer Tokenizer { get; }

    /// <summary>The model's chat template, or null when it has none (chat completions are then refused).</summary>
    ChatTemplate? ChatTemplate { get; }

    /// <summary>What optional features this backend implements.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Starts generating for <paramref name="request"/> and streams its events: tokens and finishes per choice, then
    /// exactly one <see cref="UsageEvent"/> last. Cancelling <paramref name="ct"/> aborts the request and frees its
    /// KV cache; the enumeration then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid for this model (e.g. too long).</exception>
    /// <exception cref="NotSupportedException">The request needs a feature this backend lacks.</exception>
    IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, CancellationToken ct);

    /// <summary>Final hidden states of <paramref name="ids"/> pooled to one vector (not normalized).</summary>
    Task<float[]> EmbedAsync(IReadOnlyList<int> ids, EmbeddingPooling pooling, CancellationToken ct);

    /// <summary>A snapshot of the runtime's gauges and counters.</summary>
    BackendMetrics Metrics { get; }
}

/// <summary>Optional features of a backend.</summary>
public sealed record BackendCapabilities(bool BeamSearch, bool Embeddings, int MaxRunningSequences);

/// <summary>How hidden states of a sequence become one embedding vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Average over all positions.</summary>
    Mean,
    /// <summary>The last position's state.</summary>
    Last,
}

/// <summary>Gauges and counters of the runtime (KV cache in blocks of <see cref="KvBlockSize"/> positions).</summary>
public sealed record BackendMetrics(
    int KvBlockSize,
    long KvBlocksUsed,
    long KvBlocksFree,
    long KvBlocksCached,
    int RequestsRunning,
    int RequestsWaiting,
    double PrefixCacheHitRatio,
    long RequestsCancelled);
