using Tokamak.Models;

namespace Tokamak.Cli.Commands;

/// <summary>Sizes derived from a loaded model, for reports.</summary>
internal static class ModelFacts
{
    public static long ParameterCount(LoadedModel m) =>
        m.Weights.Weights.Matrices().Sum(t => t.ElementCount)
        + m.Config.HiddenSize * (2L * m.Config.Layers + 1);

    /// <summary>Bytes of all matrices as stored (what a decode step streams from memory).</summary>
    public static long WeightBytes(LoadedModel m) => m.Weights.Weights.Matrices().Sum(t => t.ByteLength);

    /// <summary>FLOPs of the layers' projections per prompt token (2 per weight; attention and logits excluded).</summary>
    public static double MatMulFlopsPerToken(LoadedModel m) =>
        2.0 * m.Weights.Weights.Layers.Sum(l => l.Wq.ElementCount + l.Wk.ElementCount + l.Wv.ElementCount
            + l.Wo.ElementCount + l.Gate.ElementCount + l.Up.ElementCount + l.Down.ElementCount);

    /// <summary>KV cache bytes per token at F32.</summary>
    public static long KvBytesPerToken(LoadedModel m) => 2L * m.Config.Layers * m.Config.KvDim * sizeof(float);
}
