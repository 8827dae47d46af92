using Tokamak.Engine.Sampling;

namespace Tokamak.Server.Backend;

/// <summary>One generation request as the backend sees it: tokens in, <see cref="N"/> choices out.</summary>
public sealed record GenerationRequest
{
    /// <summary>Server-assigned id, for logs.</summary>
    public required string Id { get; init; }

    /// <summary>The prompt's token ids.</summary>
    public required IReadOnlyList<int> PromptIds { get; init; }

    /// <summary>How to sample and when to stop (validated).</summary>
    public required SamplingParams Sampling { get; init; }

    /// <summary>Number of choices; choice i uses seed + i when a seed is given.</summary>
    public int N { get; init; } = 1;

    /// <summary>Beam search instead of sampling (vLLM extension); null: off.</summary>
    public BeamSearchOptions? BeamSearch { get; init; }

    /// <summary>Scheduling priority (lower runs first, as vLLM).</summary>
    public int Priority { get; init; }

    /// <summary>Isolates prefix-cache entries between tenants (vLLM's <c>cache_salt</c>).</summary>
    public string? CacheSalt { get; init; }
}

/// <summary>Beam search settings (vLLM's <c>use_beam_search</c>, <c>beam_width</c>, <c>length_penalty</c>).</summary>
public sealed record BeamSearchOptions(int BeamWidth, float LengthPenalty);
