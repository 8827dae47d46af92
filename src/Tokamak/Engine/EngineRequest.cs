using Tokamak.Engine.Sampling;

namespace Tokamak.Engine;

/// <summary>
/// One generation request for <see cref="LlmEngine.Submit"/>: a tokenized prompt and how to continue it.
/// <para>Sampling: each of the <see cref="N"/> choices has its own <see cref="Sampler"/>; with
/// <see cref="SamplingParams.Seed"/> set, choice <c>i</c> uses seed <c>Seed + i</c>, so output is reproducible
/// whatever else is in the batch. The choices share the prompt's KV blocks (the prompt is computed once, then
/// forked).</para>
/// <para>Beam search (<see cref="UseBeamSearch"/>): <see cref="BeamWidth"/> beams ranked by cumulative
/// log-probability of the raw model distribution (temperature, top-k/p and penalties are ignored); finished
/// hypotheses are scored <c>cumLogprob / max(1, outputLength)^LengthPenalty</c> (the EOS token not counted); the
/// best <see cref="N"/> (≤ BeamWidth) are returned, streamed only once the search is done.</para>
/// </summary>
public sealed record EngineRequest
{
    /// <summary>Caller's id, unique among the engine's live requests.</summary>
    public required string RequestId { get; init; }

    /// <summary>Prompt token ids (non-empty, within the vocabulary, shorter than <see cref="LlmEngine.MaxModelLength"/>).</summary>
    public required IReadOnlyList<int> PromptTokenIds { get; init; }

    /// <summary>Sampling and stopping parameters (MaxTokens, MinTokens, Stop, StopTokenIds, IgnoreEos, Seed, logprobs…).</summary>
    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Number of choices to return (parallel sampling, or the best N beams).</summary>
    public int N { get; init; } = 1;

    /// <summary>Use beam search instead of sampling.</summary>
    public bool UseBeamSearch { get; init; }

    /// <summary>Beams kept per step (beam search only).</summary>
    public int BeamWidth { get; init; } = 4;

    /// <summary>Exponent of the output length dividing a finished beam's cumulative log-probability.</summary>
    public float LengthPenalty { get; init; } = 1f;

    /// <summary>
    /// Stop as soon as <see cref="BeamWidth"/> hypotheses have finished (true), or continue while the best live beam
    /// could still beat the worst of them at the current length (false, Hugging Face's heuristic).
    /// </summary>
    public bool EarlyStopping { get; init; }

    /// <summary>Scheduling priority under <see cref="Scheduling.SchedulingPolicy.Priority"/>: lower is served first.</summary>
    public int Priority { get; init; }

    /// <summary>Prefix-cache namespace: requests with different salts never share cached KV.</summary>
    public string? CacheSalt { get; init; }
}
