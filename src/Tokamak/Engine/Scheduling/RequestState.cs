namespace Tokamak.Engine.Scheduling;

/// <summary>Lifecycle of a <see cref="Request"/> inside the <see cref="Scheduler"/>.</summary>
public enum RequestState
{
    /// <summary>Queued, never scheduled yet.</summary>
    Waiting,
    /// <summary>Holds KV blocks and is scheduled every step (decode, or the next prefill chunk).</summary>
    Running,
    /// <summary>Evicted for lack of blocks; queued again and will recompute its prompt and outputs so far.</summary>
    Preempted,
    /// <summary>Done (see <see cref="Request.FinishReason"/>); holds no blocks.</summary>
    Finished,
}

/// <summary>Why a request stopped.</summary>
public enum FinishReason
{
    /// <summary>Sampled an end-of-sequence token.</summary>
    Stop,
    /// <summary>Reached its max tokens or the model's max length.</summary>
    Length,
    /// <summary>Aborted (client disconnect, cancellation).</summary>
    Abort,
}
