namespace Tokamak.Training.Objectives;

/// <summary>
/// A training stage's loss over a micro-batch (pt/sft next-token, rm pairwise ranking, dpo preference). The trainer
/// weighs micro-batches by their <see cref="Units"/> (counted tokens or pairs) and asks each for forward + backward.
/// </summary>
public interface ITrainObjective
{
    /// <summary>Stage name (pt, sft, rm, dpo).</summary>
    string Name { get; }

    /// <summary>How many loss terms the batch contributes (counted target tokens, or preference pairs).</summary>
    int Units(TrainBatch batch);

    /// <summary>
    /// Returns the batch's mean loss over its units; when <paramref name="backwardWeight"/> is given also adds
    /// <c>weight · ∂(mean loss)/∂θ</c> into the model's trainable gradients.
    /// </summary>
    double Run(LlamaTrainModel model, TrainBatch batch, float? backwardWeight);
}

/// <summary>Next-token cross-entropy over unmasked targets: pretraining (<c>pt</c>) and supervised fine-tuning (<c>sft</c>).</summary>
public sealed class LanguageModelObjective(string name = "sft") : ITrainObjective
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public int Units(TrainBatch batch) => batch.CountedTokens;

    /// <inheritdoc/>
    public double Run(LlamaTrainModel model, TrainBatch batch, float? backwardWeight)
    {
        float loss = model.Forward(batch);
        if (backwardWeight is float w && model.CountedTokens > 0) model.Backward(w);
        return loss;
    }
}
