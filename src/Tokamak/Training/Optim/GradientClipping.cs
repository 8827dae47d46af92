namespace Tokamak.Training.Optim;

/// <summary>Global-norm gradient clipping across all parameters.</summary>
public static class GradientClipping
{
    /// <summary>√(Σ g²) accumulated in double.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients)
    {
        double s = 0;
        foreach (float g in gradients) s += (double)g * g;
        return Math.Sqrt(s);
    }

    /// <summary>
    /// Scales the gradients by <c>maxNorm / norm</c> when the global norm exceeds <paramref name="maxNorm"/>; returns the
    /// norm before clipping. Non-finite norms are returned unchanged without scaling so the caller can skip the step.
    /// </summary>
    public static double ClipGlobalNorm(Span<float> gradients, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"max norm must be positive, got {maxNorm}");
        double norm = GlobalNorm(gradients);
        if (double.IsFinite(norm) && norm > maxNorm)
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradients, (float)(maxNorm / norm), gradients);
        return norm;
    }
}
