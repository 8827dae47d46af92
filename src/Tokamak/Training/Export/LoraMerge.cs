using System.Numerics.Tensors;
using Tokamak.Training.Layers;
using Tokamak.Training.Lora;

namespace Tokamak.Training.Export;

/// <summary>Folds LoRA adapters into the base weights: <c>W ← W + (alpha / rank) · B · A</c>.</summary>
public static class LoraMerge
{
    /// <summary>
    /// Returns a full-parameter model (no adapters) whose weights are the base plus every adapter's update; a value head
    /// is carried over. The source model is unchanged.
    /// </summary>
    public static LlamaTrainModel Merge(LlamaTrainModel model)
    {
        var s = model.Lora ?? throw new InvalidOperationException("the model has no LoRA adapters to merge");
        var merged = new LlamaTrainModel(model.Config, model.Options with { Lora = null });
        // The base tensors come first in both layouts, at the same offsets.
        model.Parameters.CopyTo(merged.Parameters, 0);
        var c = model.Config;
        for (int l = 0; l < c.Layers; l++)
            foreach (var m in s.Targets)
            {
                var pair = model.LoraOf(l, m)!;
                var (outDim, inDim) = ParameterLayout.ProjectionShape(c, m);
                var w = merged.ProjectionWeight(l, m).Of(merged.Parameters);
                var at = new float[inDim * s.Rank];
                var delta = new float[outDim * inDim];
                Gemm.Transpose(pair.A.Of(model.TrainableParameters), at, s.Rank, inDim);
                // delta [out, in] = B [out, r] · (Aᵀ [in, r])ᵀ
                Gemm.MatMulTransB(pair.B.Of(model.TrainableParameters), at, delta, outDim, inDim, s.Rank, accumulate: false);
                TensorPrimitives.MultiplyAdd(delta, s.Scale, w, w);
            }
        if (model.ValueHead is { } vh && merged.ValueHead is { } mvh)
        {
            vh.Weight.Of(model.TrainableParameters).CopyTo(mvh.Weight.Of(merged.Parameters));
            vh.Bias.Of(model.TrainableParameters).CopyTo(mvh.Bias.Of(merged.Parameters));
        }
        return merged;
    }
}
