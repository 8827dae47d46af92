namespace Tokamak.Tensors.Kernels;

/// <summary>Numerically stable softmax in place.</summary>
public static class Softmax
{
    /// <summary>x ← exp(x − max) / Σ exp(x − max).</summary>
    public static void Forward(Span<float> x)
    {
        if (x.IsEmpty) return;
        System.Numerics.Tensors.TensorPrimitives.SoftMax(x, x);
    }

    /// <summary>Scalar reference for <see cref="Forward"/>.</summary>
    public static void ForwardScalar(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (float v in x) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.Length; i++) x[i] = (float)(x[i] / sum);
    }
}
