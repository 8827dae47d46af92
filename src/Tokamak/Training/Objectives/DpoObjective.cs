namespace Tokamak.Training.Objectives;

/// <summary>
/// Direct Preference Optimization (<c>dpo</c>, Rafailov et al. 2023): with sequence log-probabilities
/// <c>log π(y|x)</c> of the policy and of a frozen reference, the loss per pair is
/// <c>−log σ(β · [(log π_c − log ref_c) − (log π_r − log ref_r)])</c>. Batches come from
/// <see cref="PreferenceBatch.ForLogProbs"/>. The reference is a separate frozen model, or — when null and the policy
/// is LoRA — the policy itself with its adapters switched off.
/// </summary>
public sealed class DpoObjective : ITrainObjective
{
    private readonly LlamaTrainModel? _reference;

    /// <summary>Creates the objective.</summary>
    /// <param name="beta">Strength of the implicit KL constraint (LLaMA-Factory's <c>pref_beta</c>).</param>
    /// <param name="reference">Frozen reference model, or null to use the LoRA policy's base.</param>
    public DpoObjective(float beta, LlamaTrainModel? reference = null)
    {
        if (!(beta > 0)) throw new ArgumentException($"DPO beta must be positive, got {beta}");
        Beta = beta;
        _reference = reference;
    }

    /// <summary>β.</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public string Name => "dpo";

    /// <summary>Mean implicit reward margin <c>(log π_c − log ref_c) − (log π_r − log ref_r)</c> of the last batch.</summary>
    public double LastMargin { get; private set; }

    /// <inheritdoc/>
    public int Units(TrainBatch batch) => PreferenceBatch.Pairs(batch);

    /// <summary>Per-sequence log-probabilities of the response tokens under <paramref name="model"/> (no gradient).</summary>
    public static double[] SequenceLogProbs(LlamaTrainModel model, TrainBatch batch)
    {
        bool training = model.Training;
        model.Training = false;
        try
        {
            model.Forward(batch);
            return SumPerSequence(model, batch);
        }
        finally { model.Training = training; }
    }

    /// <summary>Per-pair margins (policy vs reference log-ratio of chosen minus rejected) without training.</summary>
    public double[] Margins(LlamaTrainModel model, TrainBatch batch)
    {
        int pairs = PreferenceBatch.Pairs(batch);
        var refLp = ReferenceLogProbs(model, batch);
        var lp = SequenceLogProbs(model, batch);
        var m = new double[pairs];
        for (int i = 0; i < pairs; i++) m[i] = (lp[2 * i] - refLp[2 * i]) - (lp[2 * i + 1] - refLp[2 * i + 1]);
        return m;
    }

    /// <inheritdoc/>
    public double Run(LlamaTrainModel model, TrainBatch batch, float? backwardWeight)
    {
        int pairs = PreferenceBatch.Pairs(batch);
        var refLp = ReferenceLogProbs(model, batch);
        model.Forward(batch);
        var lp = SumPerSequence(model, batch);
        double loss = 0, margin = 0;
        var seqScale = new float[2 * pairs];
        for (int i = 0; i < pairs; i++)
        {
            double m = (lp[2 * i] - refLp[2 * i]) - (lp[2 * i + 1] - refLp[2 * i + 1]);
            double z = Beta * m;
            loss += RewardObjective.Softplus(-z);
            margin += m;
            // ∂loss/∂log π_c = −β σ(−z); log π = −Σ token losses, so each token loss of the chosen side gets +β σ(−z).
            double g = Beta * RewardObjective.Sigmoid(-z) / pairs;
            seqScale[2 * i] = (float)g;
            seqScale[2 * i + 1] = (float)-g;
        }
        LastMargin = margin / pairs;
        if (backwardWeight is float w)
        {
            var scales = new float[batch.Tokens.Length];
            var cu = batch.Sequences.CuSeqlens;
            for (int s = 0; s < seqScale.Length; s++) scales.AsSpan(cu[s], cu[s + 1] - cu[s]).Fill(seqScale[s] * w);
            model.Backward(scales);
        }
        return loss / pairs;
    }

    private double[] ReferenceLogProbs(LlamaTrainModel policy, TrainBatch batch)
    {
        if (_reference is not null) return SequenceLogProbs(_reference, batch);
        if (policy.Lora is null) throw new InvalidOperationException("DPO with full fine-tuning needs a separate frozen reference model");
        policy.AdaptersEnabled = false;
        try { return SequenceLogProbs(policy, batch); }
        finally { policy.AdaptersEnabled = true; }
    }

    private static double[] SumPerSequence(LlamaTrainModel model, TrainBatch batch)
    {
        var losses = model.TokenLosses;
        var cu = batch.Sequences.CuSeqlens;
        var lp = new double[batch.Sequences.Count];
        for (int s = 0; s < lp.Length; s++)
        {
            double sum = 0;
            for (int t = cu[s]; t < cu[s + 1]; t++) sum -= losses[t];
            lp[s] = sum;
        }
        return lp;
    }
}
