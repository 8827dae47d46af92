using Tokamak.Models.Architectures;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.Gptq;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Quantization.SmoothQuant;

/// <summary>
/// SmoothQuant (Xiao et al., 2023) smoothing: per input channel j of a group of linears sharing one input,
/// <c>s_j = max|X_j|^α / max|W_{:,j}|^(1−α)</c>; the input is divided by s (folded into what produces it) and the
/// weight columns multiplied by s, so X·Wᵀ is unchanged in exact arithmetic while activation outliers move into the
/// weights. Three foldings per decoder layer: attention RMSNorm → Q, K, V columns; MLP RMSNorm → gate, up columns;
/// up rows → down columns (silu(g)·u is linear in u). The attention output projection is left as it is.
/// </summary>
public static unsafe class Smoother
{
    /// <summary>Smoothing factors for activation maxima <paramref name="actMax"/> [in] and weight column maxima <paramref name="weightMax"/> [in].</summary>
    /// <remarks>A channel that never fired or has all-zero weights keeps s = 1; s is clamped to [1e-5, 1e5].</remarks>
    public static float[] Factors(ReadOnlySpan<float> actMax, ReadOnlySpan<float> weightMax, double alpha)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"SmoothQuant alpha must be in [0, 1], got {alpha}");
        if (actMax.Length != weightMax.Length) throw new ArgumentException($"{actMax.Length} activation maxima for {weightMax.Length} weight columns");
        var s = new float[actMax.Length];
        for (int j = 0; j < s.Length; j++)
        {
            double a = actMax[j], w = weightMax[j];
            s[j] = a > 0 && w > 0 ? (float)Math.Clamp(Math.Pow(a, alpha) / Math.Pow(w, 1 - alpha), 1e-5, 1e5) : 1f;
        }
        return s;
    }

    /// <summary>
    /// A copy of <paramref name="source"/> with smoothed F32 projections and norms, from the activation maxima in
    /// <paramref name="stats"/> (collected on <paramref name="source"/>). Owns the new weights' buffers.
    /// </summary>
    public static QuantizedModel Apply(LlamaModel source, ChannelMaxCollector stats, double alpha)
    {
        var c = source.Config;
        var buffers = new List<NativeBuffer>();
        var written = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var layers = new LlamaLayerWeights[c.Layers];
        try
        {
            for (int l = 0; l < c.Layers; l++)
            {
                var w = source.Weights.Layers[l];
                var (wq, wk, wv, gate, up, down) = (Floats(w.Wq), Floats(w.Wk), Floats(w.Wv), Floats(w.Gate), Floats(w.Up), Floats(w.Down));
                var sa = Factors(stats.Max(l, LinearInput.Attention), ColumnMax(c.HiddenSize, wq, wk, wv), alpha);
                var sm = Factors(stats.Max(l, LinearInput.Mlp), ColumnMax(c.HiddenSize, gate, up), alpha);
                var sd = Factors(stats.Max(l, LinearInput.Down), ColumnMax(c.IntermediateSize, down), alpha);
                foreach (var m in new[] { wq, wk, wv }) ScaleColumns(m, c.HiddenSize, sa, multiply: true);
                ScaleColumns(gate, c.HiddenSize, sm, multiply: true);
                ScaleColumns(up, c.HiddenSize, sm, multiply: true);
                ScaleRows(up, c.HiddenSize, sd);
                ScaleColumns(down, c.IntermediateSize, sd, multiply: true);
                Tensor T(Tensor like, float[] data)
                {
                    var buf = new NativeBuffer(data.LongLength * sizeof(float));
                    buffers.Add(buf);
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(new Span<byte>(buf.Pointer, (int)buf.ByteLength));
                    var t = new Tensor(like.Name, DType.F32, [like.Rows, like.Cols], buf.Pointer);
                    written.Add(t);
                    return t;
                }
                layers[l] = new LlamaLayerWeights
                {
                    AttnNorm = Divide(w.AttnNorm, sa), FfnNorm = Divide(w.FfnNorm, sm),
                    Bq = w.Bq, Bk = w.Bk, Bv = w.Bv, QNorm = w.QNorm, KNorm = w.KNorm, Wo = w.Wo,
                    Wq = T(w.Wq, wq), Wk = T(w.Wk, wk), Wv = T(w.Wv, wv), Gate = T(w.Gate, gate), Up = T(w.Up, up), Down = T(w.Down, down),
                };
            }
        }
        catch
        {
            foreach (var b in buffers) b.Dispose();
            throw;
        }
        var sw = source.Weights;
        var weights = new LlamaWeights { Embedding = sw.Embedding, Output = sw.Output, FinalNorm = sw.FinalNorm, Layers = layers };
        return new QuantizedModel(new LlamaModel(c, weights), buffers, written);
    }

    /// <summary>A matrix as F32 <c>[rows, cols]</c>, checked for NaN/Inf.</summary>
    internal static float[] Floats(Tensor t)
    {
        var a = new float[t.ElementCount];
        Dequant.Row(t.DType, t.Data, a);
        foreach (float v in a)
            if (!float.IsFinite(v)) throw new InvalidDataException($"{t.Name} contains NaN or infinite weights");
        return a;
    }

    // max |W[:, j]| over all rows of all the matrices. [cols]
    private static float[] ColumnMax(int cols, params float[][] ms)
    {
        var m = new float[cols];
        foreach (var w in ms)
            for (int i = 0; i < w.Length; i++) m[i % cols] = MathF.Max(m[i % cols], MathF.Abs(w[i]));
        return m;
    }

    private static void ScaleColumns(float[] w, int cols, float[] s, bool multiply)
    {
        for (int i = 0; i < w.Length; i++) w[i] = multiply ? w[i] * s[i % cols] : w[i] / s[i % cols];
    }

    private static void ScaleRows(float[] w, int cols, float[] s)
    {
        for (int i = 0; i < w.Length; i++) w[i] /= s[i / cols];
    }

    private static float[] Divide(float[] v, float[] s)
    {
        var r = new float[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = v[i] / s[i];
        return r;
    }
}
