namespace Tokamak.Engine;

/// <summary>How an <see cref="LlmEngine"/> admits requests.</summary>
public enum BatchingMode
{
    /// <summary>Iteration-level (Orca): new requests join at the next step, finished ones leave at once.</summary>
    Continuous,

    /// <summary>
    /// Static (dynamic) batching, for comparison: wait until <see cref="EngineOptions.StaticBatchSize"/> requests are
    /// queued or <see cref="EngineOptions.StaticBatchTimeout"/> has passed since the first, run that batch to
    /// completion, and admit nothing new meanwhile.
    /// </summary>
    Static,
}
