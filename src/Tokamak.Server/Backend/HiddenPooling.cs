using Tokamak.Models.Architectures;

namespace Tokamak.Server.Backend;

/// <summary>One embedding vector from a model's final hidden states.</summary>
internal static class HiddenPooling
{
    /// <summary>Mean or last-position pooling of <see cref="LlamaModel.ForwardHidden"/> over <paramref name="ids"/> (not normalized).</summary>
    public static float[] Embed(LlamaModel model, IReadOnlyList<int> ids, EmbeddingPooling pooling)
    {
        int h = model.Config.HiddenSize;
        using var state = model.CreateState(ids.Count, Math.Min(256, ids.Count));
        var hidden = new float[ids.Count * h]; // [tokens, hidden]
        model.ForwardHidden(state, ids.ToArray(), hidden);
        var pooled = new float[h];
        if (pooling == EmbeddingPooling.Last)
        {
            Array.Copy(hidden, (ids.Count - 1) * h, pooled, 0, h);
            return pooled;
        }
        var sum = new double[h];
        for (int t = 0; t < ids.Count; t++)
            for (int j = 0; j < h; j++) sum[j] += hidden[t * h + j];
        for (int j = 0; j < h; j++) pooled[j] = (float)(sum[j] / ids.Count);
        return pooled;
    }
}
