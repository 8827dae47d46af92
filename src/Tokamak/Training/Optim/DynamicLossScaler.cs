using System.Numerics.Tensors;

namespace Tokamak.Training.Optim;

/// <summary>
/// Dynamic loss scaling for FP16 training: the loss (hence every gradient) is multiplied by <see cref="Scale"/> so
/// small gradients survive FP16's range; gradients are divided back before the update. A step whose gradients
/// overflow (Inf/NaN) is skipped and the scale multiplied by <see cref="BackoffFactor"/>; after
/// <see cref="GrowthInterval"/> consecutive good steps the scale is multiplied by <see cref="GrowthFactor"/>.
/// Defaults follow PyTorch's <c>GradScaler</c> (2^16, ×2, ×0.5, 2000).
/// </summary>
public sealed class DynamicLossScaler
{
    /// <summary>Creates a scaler.</summary>
    public DynamicLossScaler(float initialScale = 65536f, float growthFactor = 2f, float backoffFactor = 0.5f, int growthInterval = 2000)
    {
        if (!(initialScale > 0) || float.IsInfinity(initialScale)) throw new ArgumentException($"initial loss scale must be positive and finite, got {initialScale}");
        if (!(growthFactor > 1)) throw new ArgumentException($"growth factor must exceed 1, got {growthFactor}");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentException($"backoff factor must be in (0, 1), got {backoffFactor}");
        if (growthInterval < 1) throw new ArgumentException($"growth interval must be at least 1, got {growthInterval}");
        Scale = initialScale; GrowthFactor = growthFactor; BackoffFactor = backoffFactor; GrowthInterval = growthInterval;
    }

    /// <summary>Current multiplier of the loss.</summary>
    public float Scale { get; private set; }
    /// <summary>Scale multiplier after <see cref="GrowthInterval"/> good steps.</summary>
    public float GrowthFactor { get; }
    /// <summary>Scale multiplier after an overflow.</summary>
    public float BackoffFactor { get; }
    /// <summary>Consecutive good steps before the scale grows.</summary>
    public int GrowthInterval { get; }
    /// <summary>Good steps since the last growth or overflow.</summary>
    public int GoodSteps { get; private set; }
    /// <summary>Steps skipped so far because of overflow.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>
    /// Divides <paramref name="gradients"/> by the scale and reports whether they are all finite (on overflow the
    /// caller skips the update). Follow with <see cref="Update"/>.
    /// </summary>
    public bool Unscale(Span<float> gradients)
    {
        TensorPrimitives.Multiply(gradients, 1f / Scale, gradients);
        float sum = TensorPrimitives.Sum(gradients);
        return float.IsFinite(sum) || (!float.IsNaN(sum) && AllFinite(gradients));
    }

    /// <summary>Records one step's outcome: backs off on overflow, grows after enough good steps.</summary>
    public void Update(bool finite)
    {
        if (!finite)
        {
            Scale = Math.Max(Scale * BackoffFactor, float.Epsilon);
            GoodSteps = 0;
            SkippedSteps++;
            return;
        }
        if (++GoodSteps >= GrowthInterval)
        {
            float grown = Scale * GrowthFactor;
            if (float.IsFinite(grown)) Scale = grown;
            GoodSteps = 0;
        }
    }

    /// <summary>Restores the state saved with a checkpoint.</summary>
    public void Restore(float scale, int goodSteps, long skipped)
    {
        if (!(scale > 0) || float.IsInfinity(scale)) throw new InvalidDataException($"checkpoint loss scale {scale} is not positive and finite");
        Scale = scale; GoodSteps = goodSteps; SkippedSteps = skipped;
    }

    // The sum can overflow to Inf with finite elements only when they are huge; check one by one then.
    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        foreach (float v in x) if (!float.IsFinite(v)) return false;
        return true;
    }
}
