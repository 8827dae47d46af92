namespace Tokamak.Training.Optim;

/// <summary>
/// Learning rate as a function of the 0-based optimizer step. Every schedule starts with linear warmup
/// <c>lr = peak · (step + 1) / warmup</c> for <c>step &lt; warmup</c>; after it, decay progress is
/// <c>p = min(1, (step − warmup) / max(1, total − warmup))</c>.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>Sets the shared warmup parameters.</summary>
    protected LrSchedule(float peakLr, int warmupSteps)
    {
        if (peakLr < 0f || warmupSteps < 0) throw new ArgumentException($"schedule needs peak lr ≥ 0 and warmup ≥ 0, got {peakLr}, {warmupSteps}");
        PeakLr = peakLr;
        WarmupSteps = warmupSteps;
    }

    /// <summary>Learning rate reached at the end of warmup.</summary>
    public float PeakLr { get; }

    /// <summary>Warmup length in steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>Learning rate for optimizer step <paramref name="step"/>.</summary>
    public float At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), "step must be ≥ 0");
        if (step < WarmupSteps) return (float)((double)PeakLr * (step + 1) / WarmupSteps);
        return (float)AfterWarmup(step - WarmupSteps);
    }

    /// <summary>The schedule proper, at <paramref name="sinceWarmup"/> steps after warmup.</summary>
    protected abstract double AfterWarmup(long sinceWarmup);

    /// <summary>Progress through the decay phase in [0, 1].</summary>
    protected static double Progress(long sinceWarmup, int warmup, int total) =>
        Math.Min(1.0, (double)sinceWarmup / Math.Max(1, total - warmup));
}

/// <summary>Constant at the peak after warmup.</summary>
public sealed class ConstantSchedule(float peakLr, int warmupSteps = 0) : LrSchedule(peakLr, warmupSteps)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(long sinceWarmup) => PeakLr;
}

/// <summary>Linear from peak to <paramref name="minLr"/> over the steps up to <paramref name="totalSteps"/>.</summary>
public sealed class LinearSchedule(float peakLr, int totalSteps, int warmupSteps = 0, float minLr = 0f) : LrSchedule(peakLr, warmupSteps)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(long sinceWarmup) =>
        PeakLr + ((double)minLr - PeakLr) * Progress(sinceWarmup, WarmupSteps, totalSteps);
}

/// <summary>Half-cosine from peak to <paramref name="minLr"/> over the steps up to <paramref name="totalSteps"/>.</summary>
public sealed class CosineSchedule(float peakLr, int totalSteps, int warmupSteps = 0, float minLr = 0f) : LrSchedule(peakLr, warmupSteps)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(long sinceWarmup) =>
        minLr + 0.5 * ((double)PeakLr - minLr) * (1 + Math.Cos(Math.PI * Progress(sinceWarmup, WarmupSteps, totalSteps)));
}

/// <summary>Multiplies the peak by <paramref name="gamma"/> every <paramref name="stepSize"/> steps after warmup.</summary>
public sealed class StepSchedule(float peakLr, int stepSize, float gamma, int warmupSteps = 0) : LrSchedule(peakLr, warmupSteps)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(long sinceWarmup) =>
        stepSize > 0 ? PeakLr * Math.Pow(gamma, sinceWarmup / stepSize) : throw new InvalidOperationException($"step schedule needs step size > 0, got {stepSize}");
}

/// <summary><c>peak · gamma^(steps since warmup)</c>.</summary>
public sealed class ExponentialSchedule(float peakLr, float gamma, int warmupSteps = 0) : LrSchedule(peakLr, warmupSteps)
{
    /// <inheritdoc/>
    protected override double AfterWarmup(long sinceWarmup) => PeakLr * Math.Pow(gamma, sinceWarmup);
}
