using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Tensors;

namespace Tokamak.Analysis.Roofline;

/// <summary>Storage types of a decoder's matrices (taken from layer 0; the loader binds every layer alike).</summary>
public sealed record WeightTypes(DType Attention, DType AttentionOutput, DType GateUp, DType Down, DType Embedding, DType Output)
{
    /// <summary>Every matrix in <paramref name="t"/>.</summary>
    public static WeightTypes Uniform(DType t) => new(t, t, t, t, t, t);

    /// <summary>The types of bound weights.</summary>
    public static WeightTypes Of(LlamaWeights w) =>
        new(w.Layers[0].Wq.DType, w.Layers[0].Wo.DType, w.Layers[0].Gate.DType, w.Layers[0].Down.DType, w.Embedding.DType, w.Output.DType);
}

/// <summary>
/// Analytic FLOPs and bytes of every op of a Llama-family forward step, with the same accounting as
/// <see cref="OpProfiler"/>'s charges in <see cref="LlamaModel.Forward"/>: a matmul <c>W [out, in]</c> over n rows
/// costs 2·n·out·in FLOPs and reads W once plus 4·n·(in + out) bytes of F32 activations; attention touches each
/// cached key and value once per query head group (QKᵀ and PV: 4·qDim FLOPs per key, 8·kvDim bytes).
/// </summary>
public static class OpCostModel
{
    /// <summary>Per-op costs of <paramref name="w"/>, indexed by <see cref="OpKind"/>.</summary>
    public static OpCost[] Step(ModelConfig c, WeightTypes types, Workload w)
    {
        double n = w.Tokens, h = c.HiddenSize, q = c.QDim, kv = c.KvDim, ff = c.IntermediateSize, v = c.VocabSize, L = c.Layers;
        double r = w.LogitRows;
        // Each sequence's i-th new token attends to Context + i + 1 positions.
        double keys = w.Sequences * (w.TokensPerSequence * (double)w.Context + w.TokensPerSequence * (w.TokensPerSequence + 1) / 2.0);
        bool decode = w.Tokens == 1;
        double Mm(DType t, double rows, double cols, double m) => DTypes.ByteCount(t, (long)(rows * cols)) + 4 * m * (rows + cols);
        bool Int(DType t) => decode && t is DType.Q8_0 or DType.Q4_0;

        var costs = new OpCost[Enum.GetValues<OpKind>().Length];
        void Set(OpKind op, double flops, double bytes, bool integer = false) => costs[(int)op] = new OpCost(op, flops, bytes, integer);
        Set(OpKind.Embedding, 0, n * (DTypes.ByteCount(types.Embedding, (long)h) + 4 * h));
        Set(OpKind.RmsNorm, L * 2 * 4 * n * h + 4 * r * h, L * 2 * 8 * n * h + 8 * r * h);
        Set(OpKind.QkvProjection, L * 2 * n * h * (q + 2 * kv), L * (Mm(types.Attention, q, h, n) + 2 * Mm(types.Attention, kv, h, n)), Int(types.Attention));
        Set(OpKind.RopeAndCache, L * 3 * n * (q + kv), L * 4 * n * (q + 3 * kv));
        Set(OpKind.Attention, L * 4 * keys * q, L * (8 * keys * kv + 8 * n * q));
        Set(OpKind.OutputProjection, L * 2 * n * q * h, L * Mm(types.AttentionOutput, h, q, n), Int(types.AttentionOutput));
        Set(OpKind.GateUp, L * 2 * 2 * n * h * ff, L * 2 * Mm(types.GateUp, ff, h, n), Int(types.GateUp));
        Set(OpKind.SwiGlu, L * 6 * n * ff, L * 12 * n * ff);
        Set(OpKind.Down, L * 2 * n * ff * h, L * Mm(types.Down, h, ff, n), Int(types.Down));
        Set(OpKind.Residual, L * 2 * n * h, L * 2 * 12 * n * h);
        Set(OpKind.Logits, 2 * r * v * h, Mm(types.Output, v, h, r), decode && types.Output is DType.Q8_0 or DType.Q4_0);
        return costs;
    }

    /// <summary>The roofline's predicted seconds for the whole step (sum of each op's bound).</summary>
    public static double PredictedSeconds(IEnumerable<OpCost> costs, MachinePeaks peaks) => costs.Sum(c => c.PredictedSeconds(peaks));
}
