namespace Tokamak.Training.Optim;

/// <summary>An update rule over a flat parameter array, with state that checkpoints can save and restore.</summary>
public interface IOptimizer
{
    /// <summary>Short type name stored in checkpoints ("adamw", "sgd").</summary>
    string Kind { get; }

    /// <summary>Updates taken so far.</summary>
    long StepCount { get; }

    /// <summary>Hyper-parameters as text, for checkpoint metadata.</summary>
    IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <summary>Named state arrays, each laid out like the parameters (e.g. "m", "v").</summary>
    IReadOnlyDictionary<string, float[]> State { get; }

    /// <summary>Applies one update with learning rate <paramref name="learningRate"/> and advances <see cref="StepCount"/>.</summary>
    void Step(float[] parameters, float[] gradients, float learningRate);

    /// <summary>Restores the step count (state arrays are restored by writing into <see cref="State"/>).</summary>
    void RestoreStepCount(long stepCount);
}
