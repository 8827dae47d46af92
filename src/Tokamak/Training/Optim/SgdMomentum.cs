using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Optim;

/// <summary>
/// SGD with heavy-ball momentum (PyTorch form): <c>b ← μ·b + g + λ·p</c>, <c>p ← p − lr·b</c>; the L2 term λ applies only
/// to tensors marked for decay.
/// </summary>
public sealed class SgdMomentum : IOptimizer
{
    private readonly ParameterLayout _layout;
    private readonly float[] _buf;

    /// <summary>Creates the optimizer for parameters laid out by <paramref name="layout"/>.</summary>
    public SgdMomentum(ParameterLayout layout, float momentum = 0.9f, float weightDecay = 0f)
    {
        if (!(momentum is >= 0f and < 1f) || weightDecay < 0f) throw new ArgumentException($"SGD needs momentum in [0, 1) and weight decay ≥ 0, got {momentum}, {weightDecay}");
        _layout = layout;
        Momentum = momentum;
        WeightDecay = weightDecay;
        _buf = new float[checked((int)layout.TotalLength)];
        State = new Dictionary<string, float[]> { ["momentum"] = _buf };
    }

    /// <summary>Momentum μ.</summary>
    public float Momentum { get; }
    /// <summary>L2 coefficient λ.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public string Kind => "sgd";
    /// <inheritdoc/>
    public long StepCount { get; private set; }
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, float[]> State { get; }
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Hyperparameters => new Dictionary<string, string>
    {
        ["momentum"] = Momentum.ToString("R"), ["weight_decay"] = WeightDecay.ToString("R"),
    };

    /// <inheritdoc/>
    public void Step(float[] parameters, float[] gradients, float learningRate)
    {
        if (parameters.Length != _buf.Length || gradients.Length != _buf.Length)
            throw new ArgumentException($"SGD was built for {_buf.Length} parameters, got {parameters.Length} parameters and {gradients.Length} gradients");
        float mu = Momentum;
        foreach (var tensor in _layout.Tensors)
        {
            int off = (int)tensor.Offset, len = (int)tensor.Length;
            float decay = tensor.Decay ? WeightDecay : 0f;
            ComputePool.Shared.For(len, 16384, (start, end) =>
            {
                for (int i = off + start; i < off + end; i++)
                {
                    float b = _buf[i] = mu * _buf[i] + gradients[i] + decay * parameters[i];
                    parameters[i] -= learningRate * b;
                }
            });
        }
        StepCount++;
    }

    /// <inheritdoc/>
    public void RestoreStepCount(long stepCount) => StepCount = stepCount >= 0 ? stepCount : throw new ArgumentException($"step count must be ≥ 0, got {stepCount}");
}
