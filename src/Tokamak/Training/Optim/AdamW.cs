using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter): <c>p ← p − lr·(m̂/(√v̂ + ε) + λ·p)</c>, where λ applies
/// only to tensors whose <see cref="ParameterTensor.Decay"/> is set (matrices, not norm weights or biases).
/// Moments are kept in float32 in the parameter layout.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private readonly ParameterLayout _layout;
    private readonly float[] _m, _v;

    /// <summary>Creates the optimizer for parameters laid out by <paramref name="layout"/>.</summary>
    public AdamW(ParameterLayout layout, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        if (!(beta1 is >= 0f and < 1f) || !(beta2 is >= 0f and < 1f)) throw new ArgumentException($"AdamW betas must be in [0, 1), got {beta1}, {beta2}");
        if (epsilon <= 0f || weightDecay < 0f) throw new ArgumentException($"AdamW needs epsilon > 0 and weight decay ≥ 0, got {epsilon}, {weightDecay}");
        _layout = layout;
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        _m = new float[checked((int)layout.TotalLength)];
        _v = new float[_m.Length];
        State = new Dictionary<string, float[]> { ["m"] = _m, ["v"] = _v };
    }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }
    /// <summary>Denominator guard.</summary>
    public float Epsilon { get; }
    /// <summary>Decoupled weight decay λ.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public string Kind => "adamw";
    /// <inheritdoc/>
    public long StepCount { get; private set; }
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, float[]> State { get; }
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["beta1"] = Beta1.ToString("R"), ["beta2"] = Beta2.ToString("R"), ["epsilon"] = Epsilon.ToString("R"), ["weight_decay"] = WeightDecay.ToString("R"),
    };

    /// <inheritdoc/>
    public void Step(float[] parameters, float[] gradients, float learningRate)
    {
        if (parameters.Length != _m.Length || gradients.Length != _m.Length)
            throw new ArgumentException($"AdamW was built for {_m.Length} parameters, got {parameters.Length} parameters and {gradients.Length} gradients");
        long t = StepCount + 1;
        float b1 = Beta1, b2 = Beta2, eps = Epsilon;
        float bc1 = 1f - MathF.Pow(b1, t), bc2 = 1f - MathF.Pow(b2, t);
        foreach (var tensor in _layout.Tensors)
        {
            int off = (int)tensor.Offset, len = (int)tensor.Length;
            float decay = tensor.Decay ? WeightDecay : 0f;
            ComputePool.Shared.For(len, 16384, (start, end) =>
            {
                for (int i = off + start; i < off + end; i++)
                {
                    float g = gradients[i];
                    float m = _m[i] = b1 * _m[i] + (1f - b1) * g;
                    float v = _v[i] = b2 * _v[i] + (1f - b2) * g * g;
                    float mHat = m / bc1, vHat = v / bc2;
                    parameters[i] -= learningRate * (mHat / (MathF.Sqrt(vHat) + eps) + decay * parameters[i]);
                }
            });
        }
        StepCount = t;
    }

    /// <inheritdoc/>
    public void RestoreStepCount(long stepCount) => StepCount = stepCount >= 0 ? stepCount : throw new ArgumentException($"step count must be ≥ 0, got {stepCount}");
}
