using System.Numerics.Tensors;

namespace Tokamak.Training.Objectives;

/// <summary>
/// Reward modelling (<c>rm</c>): a scalar head reads the final normed hidden state of each sequence's last token,
/// <c>r = w · h + b</c>, and pairs are ranked with the Bradley–Terry loss <c>−log σ(r_chosen − r_rejected)</c>.
/// Batches come from <see cref="PreferenceBatch.ForRewards"/>; the model needs a value head.
/// </summary>
public sealed class RewardObjective : ITrainObjective
{
    private float[] _dHidden = [];

    /// <inheritdoc/>
    public string Name => "rm";

    /// <summary>Fraction of pairs of the last batch whose chosen reward beat the rejected one.</summary>
    public double LastAccuracy { get; private set; }

    /// <inheritdoc/>
    public int Units(TrainBatch batch) => PreferenceBatch.Pairs(batch);

    /// <summary>Rewards of every sequence of <paramref name="batch"/> (evaluation: no gradient).</summary>
    public static float[] Rewards(LlamaTrainModel model, TrainBatch batch)
    {
        var (w, b) = Head(model);
        var hidden = model.ForwardHidden(batch);
        return SequenceRewards(model, batch, hidden, w, b);
    }

    /// <inheritdoc/>
    public double Run(LlamaTrainModel model, TrainBatch batch, float? backwardWeight)
    {
        int pairs = PreferenceBatch.Pairs(batch);
        var (w, b) = Head(model);
        var hidden = model.ForwardHidden(batch);
        var r = SequenceRewards(model, batch, hidden, w, b);
        double loss = 0;
        int correct = 0;
        var dr = new float[r.Length];
        for (int i = 0; i < pairs; i++)
        {
            double d = r[2 * i] - r[2 * i + 1];
            loss += Softplus(-d);
            if (d > 0) correct++;
            // ∂/∂d softplus(−d) = −σ(−d)
            float g = (float)(-Sigmoid(-d) / pairs);
            dr[2 * i] = g; dr[2 * i + 1] = -g;
        }
        LastAccuracy = (double)correct / pairs;
        if (backwardWeight is float weight)
        {
            int T = batch.Tokens.Length, C = model.Config.HiddenSize;
            if (_dHidden.Length < T * C) _dHidden = new float[T * C];
            var dh = _dHidden.AsSpan(0, T * C);
            dh.Clear();
            var G = model.TrainableGradients;
            var ws = w.Of(model.TrainableParameters);
            var cu = batch.Sequences.CuSeqlens;
            for (int s = 0; s < r.Length; s++)
            {
                int last = cu[s + 1] - 1;
                float g = dr[s] * weight;
                TensorPrimitives.MultiplyAdd(ws, g, dh.Slice(last * C, C), dh.Slice(last * C, C));
                var dw = w.Of(G);
                TensorPrimitives.MultiplyAdd(hidden.Slice(last * C, C), g, dw, dw);
                b.Of(G)[0] += g;
            }
            model.BackwardHidden(dh);
        }
        return loss / pairs;
    }

    private static float[] SequenceRewards(LlamaTrainModel model, TrainBatch batch, ReadOnlySpan<float> hidden, ParameterTensor w, ParameterTensor b)
    {
        int C = model.Config.HiddenSize;
        var cu = batch.Sequences.CuSeqlens;
        var r = new float[batch.Sequences.Count];
        var ws = w.Of(model.TrainableParameters);
        float bias = b.Of(model.TrainableParameters)[0];
        for (int s = 0; s < r.Length; s++)
            r[s] = TensorPrimitives.Dot(ws, hidden.Slice((cu[s + 1] - 1) * C, C)) + bias;
        return r;
    }

    private static (ParameterTensor W, ParameterTensor B) Head(LlamaTrainModel model) =>
        model.ValueHead ?? throw new InvalidOperationException("reward modelling needs a model built with a value head (TrainModelOptions.ValueHead)");

    internal static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
