namespace Tokamak.Engine.Scheduling;

/// <summary>
/// The requests that fork from one submitted prompt (parallel-sampling choices, beams). The scheduler reserves
/// <see cref="Width"/> of <see cref="SchedulerConfig.MaxNumSeqs"/> for the whole group while any member runs (vLLM's
/// "max running seqs of a group"), so forks never push the running count above the limit and never have to wait for
/// a slot that a sibling awaiting the same beam step holds.
/// </summary>
internal sealed class SequenceGroup(int width)
{
    /// <summary>Most members that can run at once (n or the beam width).</summary>
    public int Width { get; } = width;

    /// <summary>Members currently running.</summary>
    public int Running { get; set; }
}
