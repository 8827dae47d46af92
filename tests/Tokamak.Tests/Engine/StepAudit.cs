using Tokamak.Engine;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Tests.Engine;

/// <summary>
/// Attaches to <see cref="LlmEngine.StepObserver"/> and checks the block accounting after every step
/// (<see cref="Scheduler.Audit"/>, the metrics' block identity, the sequence limit). Failures are kept, not thrown on
/// the engine thread, and rethrown by <see cref="ThrowIfFailed"/>.
/// </summary>
internal sealed class StepAudit
{
    private readonly object _gate = new();
    private Exception? _failure;

    public StepAudit(LlmEngine engine, Action<Scheduler, SchedulerStep, EngineMetrics>? extra = null)
    {
        engine.StepObserver = (sched, step, metrics) =>
        {
            try
            {
                sched.Audit();
                if (metrics.KvBlocksUsed + metrics.KvBlocksFree + metrics.KvBlocksCached != metrics.KvBlocksTotal)
                    throw new InvalidOperationException($"blocks used {metrics.KvBlocksUsed} + free {metrics.KvBlocksFree} + cached {metrics.KvBlocksCached} != {metrics.KvBlocksTotal}");
                if (sched.NumRunning > sched.Config.MaxNumSeqs || sched.ReservedSequenceSlots > sched.Config.MaxNumSeqs)
                    throw new InvalidOperationException($"{sched.NumRunning} running / {sched.ReservedSequenceSlots} reserved exceed max num seqs {sched.Config.MaxNumSeqs}");
                if (step.Sequences.Count > sched.Config.MaxNumSeqs)
                    throw new InvalidOperationException($"step {step.Index} has {step.Sequences.Count} sequences");
                lock (_gate)
                {
                    Steps++;
                    MaxSequencesInStep = Math.Max(MaxSequencesInStep, step.Sequences.Count);
                    Preemptions += step.Preempted.Count;
                    extra?.Invoke(sched, step, metrics);
                }
            }
            catch (Exception ex)
            {
                lock (_gate) _failure ??= ex;
            }
        };
    }

    public int Steps { get; private set; }
    public int MaxSequencesInStep { get; private set; }
    public int Preemptions { get; private set; }

    public void ThrowIfFailed()
    {
        lock (_gate)
            if (_failure is not null) throw new Xunit.Sdk.XunitException($"per-step check failed: {_failure}");
    }

    /// <summary>A key identifying a request by its prompt (tests give every request a distinct prompt).</summary>
    public static string Key(ReadOnlySpan<int> prompt) => string.Join(',', prompt.ToArray());
}
