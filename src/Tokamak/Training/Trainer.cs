using Tokamak.Training.Objectives;
using Tokamak.Training.Optim;

namespace Tokamak.Training;

/// <summary>How gradients of several micro-batches combine into one update.</summary>
public enum GradientAccumulation
{
    /// <summary>
    /// Each micro-batch weighs by its counted tokens (<c>count_i / Σ count</c>): the update equals one big batch's
    /// token-mean loss, however unevenly tokens fall across micro-batches.
    /// </summary>
    TokenWeighted,
    /// <summary>Plain mean of micro-batch mean losses (<c>1 / micro-batches</c> each).</summary>
    MeanOfMicroBatches,
}

/// <summary>Outcome of one optimizer step.</summary>
/// <param name="Step">0-based index of the step just taken.</param>
/// <param name="Loss">Loss combined the same way as the gradients.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="Tokens">Counted target tokens.</param>
/// <param name="Skipped">True when dynamic loss scaling found overflowing gradients and the update was skipped.</param>
public readonly record struct TrainStepResult(long Step, double Loss, double GradNorm, float LearningRate, int Tokens, bool Skipped = false);

/// <summary>
/// One training step: zero gradients, forward/backward every micro-batch with its accumulation weight, clip the
/// global norm, take the scheduled learning rate, update.
/// </summary>
public sealed class Trainer
{
    /// <summary>Wires a model to an optimizer and schedule.</summary>
    /// <param name="model">The model to train.</param>
    /// <param name="optimizer">Update rule.</param>
    /// <param name="schedule">Learning rate per step.</param>
    /// <param name="maxGradNorm">Clip threshold; 0 or less disables clipping.</param>
    /// <param name="accumulation">How micro-batch gradients combine.</param>
    /// <param name="objective">Stage loss; next-token cross-entropy when null.</param>
    /// <param name="lossScaler">Dynamic loss scaling (FP16): overflowing steps are skipped instead of stopping the run.</param>
    public Trainer(LlamaTrainModel model, IOptimizer optimizer, LrSchedule schedule, double maxGradNorm = 1.0,
        GradientAccumulation accumulation = GradientAccumulation.TokenWeighted, ITrainObjective? objective = null,
        DynamicLossScaler? lossScaler = null)
    {
        Model = model; Optimizer = optimizer; Schedule = schedule; MaxGradNorm = maxGradNorm; Accumulation = accumulation;
        Objective = objective ?? new LanguageModelObjective();
        LossScaler = lossScaler;
    }

    /// <summary>Dynamic loss scaler, or null for none.</summary>
    public DynamicLossScaler? LossScaler { get; }

    /// <summary>The stage's loss.</summary>
    public ITrainObjective Objective { get; }

    /// <summary>Model being trained.</summary>
    public LlamaTrainModel Model { get; }
    /// <summary>Update rule.</summary>
    public IOptimizer Optimizer { get; }
    /// <summary>Learning rate schedule.</summary>
    public LrSchedule Schedule { get; }
    /// <summary>Clip threshold (≤ 0: none).</summary>
    public double MaxGradNorm { get; }
    /// <summary>Micro-batch weighting.</summary>
    public GradientAccumulation Accumulation { get; }

    /// <summary>Accumulates gradients over <paramref name="microBatches"/> into the model without updating.</summary>
    /// <returns>The combined loss and counted tokens.</returns>
    public (double Loss, int Tokens) AccumulateGradients(IReadOnlyList<TrainBatch> microBatches)
    {
        if (microBatches.Count == 0) throw new ArgumentException("a training step needs at least one micro-batch");
        Model.ZeroGradients();
        var units = microBatches.Select(Objective.Units).ToArray();
        int total = units.Sum();
        if (total == 0) throw new ArgumentException("every target in the step is masked; there is nothing to learn from");
        double loss = 0;
        float scale = LossScaler?.Scale ?? 1f;
        for (int i = 0; i < microBatches.Count; i++)
        {
            if (units[i] == 0) continue; // contributes nothing under either weighting's loss
            float weight = Accumulation == GradientAccumulation.TokenWeighted ? (float)units[i] / total : 1f / microBatches.Count;
            loss += weight * Objective.Run(Model, microBatches[i], weight * scale);
        }
        return (loss, total);
    }

    /// <summary>Mean loss over <paramref name="batches"/> (weighted by units) with dropout off and no gradients.</summary>
    public double Evaluate(IEnumerable<TrainBatch> batches)
    {
        bool training = Model.Training;
        Model.Training = false;
        try
        {
            double sum = 0;
            long n = 0;
            foreach (var b in batches)
            {
                int u = Objective.Units(b);
                if (u == 0) continue;
                sum += u * Objective.Run(Model, b, null);
                n += u;
            }
            return n == 0 ? double.NaN : sum / n;
        }
        finally { Model.Training = training; }
    }

    /// <summary>Runs one full optimizer step over <paramref name="microBatches"/>.</summary>
    public TrainStepResult Step(IReadOnlyList<TrainBatch> microBatches)
    {
        var (loss, tokens) = AccumulateGradients(microBatches);
        long next = Optimizer.StepCount;
        if (LossScaler is { } scaler)
        {
            // Overflow under loss scaling is expected now and then: skip the update and back off instead of stopping.
            bool ok = scaler.Unscale(Model.TrainableGradients) && double.IsFinite(loss);
            scaler.Update(ok);
            if (!ok) return new TrainStepResult(next, loss, double.NaN, Schedule.At(next), tokens, Skipped: true);
        }
        // Stop before the update so the parameters (and any checkpoint of them) stay the last good ones.
        if (!double.IsFinite(loss)) throw new NonFiniteLossException(next, $"loss is {loss} at step {next + 1}; parameters were not updated");
        double norm = MaxGradNorm > 0 ? GradientClipping.ClipGlobalNorm(Model.TrainableGradients, MaxGradNorm) : GradientClipping.GlobalNorm(Model.TrainableGradients);
        if (!double.IsFinite(norm)) throw new NonFiniteLossException(next, $"gradient norm is {norm} at step {next + 1} (loss {loss:G5}); parameters were not updated");
        long step = next;
        float lr = Schedule.At(step);
        Optimizer.Step(Model.TrainableParameters, Model.TrainableGradients, lr);
        return new TrainStepResult(step, loss, norm, lr, tokens);
    }
}

/// <summary>Training produced a NaN or infinite loss or gradient; the step was not applied.</summary>
public sealed class NonFiniteLossException(long step, string message) : Exception(message)
{
    /// <summary>0-based index of the step that failed.</summary>
    public long Step { get; } = step;
}
