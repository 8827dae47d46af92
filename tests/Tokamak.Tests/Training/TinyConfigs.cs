using Tokamak.Models;

namespace Tokamak.Tests.Training;

internal static class TinyConfigs
{
    /// <summary>hidden 16, 2 layers, 4 heads / 2 kv heads (head dim 4), vocab 32.</summary>
    public static ModelConfig Llama(bool tied = true, bool qkvBias = false) => new()
    {
        HiddenSize = 16, IntermediateSize = 32, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 4, VocabSize = 32,
        MaxPositions = 64, TieWordEmbeddings = tied, QkvBias = qkvBias,
    };
}
