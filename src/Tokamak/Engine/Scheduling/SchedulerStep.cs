using Tokamak.Engine.Kv;

namespace Tokamak.Engine.Scheduling;

/// <summary>
/// One sequence's share of a step: compute <see cref="TokenIds"/> at positions
/// <see cref="StartPosition"/> .. StartPosition + Count − 1, writing their K/V through <see cref="BlockTable"/>
/// (slots are already reserved) and attending causally to positions 0 .. StartPosition + i. When
/// <see cref="SampleNext"/> is true the engine samples one token from the last position's logits; otherwise (a
/// prompt chunk that does not reach the end) no logits are needed. A value type, so building a step allocates only
/// the step and its list.
/// </summary>
public readonly struct ScheduledSequence
{
    internal ScheduledSequence(Request request, ReadOnlyMemory<int> tokens, int startPosition, BlockTable table, bool sampleNext, bool isPrefill)
    {
        Request = request;
        TokenIds = tokens;
        StartPosition = startPosition;
        BlockTable = table;
        SampleNext = sampleNext;
        IsPrefill = isPrefill;
    }

    /// <summary>The request.</summary>
    public Request Request { get; }

    /// <summary>KV sequence id (equals <see cref="Request.ArrivalOrder"/>).</summary>
    public long SequenceId => Request.ArrivalOrder;

    /// <summary>Token ids to run through the model this step (valid until <see cref="Scheduler.OnStepCompleted"/>).</summary>
    public ReadOnlyMemory<int> TokenIds { get; }

    /// <summary>Number of tokens this step.</summary>
    public int Count => TokenIds.Length;

    /// <summary>Position of the first token.</summary>
    public int StartPosition { get; }

    /// <summary>Context length after this step: StartPosition + Count.</summary>
    public int EndPosition => StartPosition + Count;

    /// <summary>The sequence's physical blocks; covers at least <see cref="EndPosition"/> positions.</summary>
    public BlockTable BlockTable { get; }

    /// <summary>True when this step reaches the end of the known tokens, so a token must be sampled.</summary>
    public bool SampleNext { get; }

    /// <summary>True for prompt (or recompute) work, false for a one-token decode.</summary>
    public bool IsPrefill { get; }
}

/// <summary>
/// The batch of one iteration (Orca-style): every sequence that advances this step and what it computes. Hand
/// <see cref="Sequences"/> to the model, then report the sampled tokens in the same order with
/// <see cref="Scheduler.OnStepCompleted"/>.
/// </summary>
public sealed class SchedulerStep
{
    internal SchedulerStep(long index, List<ScheduledSequence> sequences, IReadOnlyList<Request> preempted)
    {
        Index = index;
        Sequences = sequences;
        Preempted = preempted;
        foreach (var s in sequences) TotalTokens += s.Count;
    }

    /// <summary>Step number, from 0.</summary>
    public long Index { get; }

    /// <summary>Scheduled sequences: decodes first, then prefill chunks.</summary>
    public IReadOnlyList<ScheduledSequence> Sequences { get; }

    /// <summary>Requests preempted while building this step (their KV is gone; they will recompute).</summary>
    public IReadOnlyList<Request> Preempted { get; }

    /// <summary>Tokens computed this step (≤ <see cref="SchedulerConfig.MaxBatchedTokens"/>).</summary>
    public int TotalTokens { get; }

    /// <summary>True when nothing can run (no requests, or all waiting for blocks).</summary>
    public bool IsEmpty => Sequences.Count == 0;
}

/// <summary>What a step produced for one request.</summary>
/// <param name="Request">The request.</param>
/// <param name="Token">The token appended to its output.</param>
/// <param name="Finish">Set when this token finished the request (its blocks are already freed).</param>
public readonly record struct TokenEvent(Request Request, int Token, FinishReason? Finish);
