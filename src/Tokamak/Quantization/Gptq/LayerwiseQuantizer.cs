using Tokamak.Models.Architectures;
using Tokamak.Quantization.Calibration;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Quantization.Gptq;

/// <summary>
/// Quantizes every decoder projection (Q, K, V, O, gate, up, down) of a model, layer by layer. GPTQ is sequential:
/// layer l's Hessians are collected by running the calibration samples through the model whose layers before l are
/// already quantized, so each layer corrects for the error that reaches it. Embedding, norms and the output head are
/// left as they are.
/// </summary>
public static class LayerwiseQuantizer
{
    /// <summary>GPTQ with <paramref name="o"/> on <paramref name="samples"/>.</summary>
    public static QuantizedModel Gptq(LlamaModel source, IReadOnlyList<int[]> samples, GptqOptions o, Action<string>? progress = null)
    {
        o.Validate();
        if (samples.Count == 0) throw new ArgumentException("GPTQ needs at least one calibration sample");
        return Run(source, (model, l, get) =>
        {
            var hc = new HessianCollector(source.Config, l);
            Calibrator.Run(model, samples, hc);
            progress?.Invoke($"layer {l}: Hessians from {samples.Count} samples");
            return (t, input) => GptqQuantizer.Quantize(get(t), t.Rows, t.Cols, hc.Hessian(input), o, t.Name);
        });
    }

    /// <summary>Round-to-nearest on the same grid and group size (GPTQ's baseline).</summary>
    public static QuantizedModel RoundToNearest(LlamaModel source, int bits, int groupSize = 32)
    {
        new GptqOptions { Bits = bits, GroupSize = groupSize }.Validate();
        return Run(source, (_, _, get) => (t, _) =>
        {
            foreach (float v in get(t))
                if (!float.IsFinite(v)) throw new InvalidDataException($"{t.Name} contains NaN or infinite weights");
            return QuantizedMatrix.RoundToNearest(get(t), t.Rows, t.Cols, new SymmetricGrid(bits), groupSize);
        });
    }

    private delegate Func<Tensor, LinearInput, QuantizedMatrix> LayerPlan(LlamaModel current, int layer, Func<Tensor, float[]> floats);

    private static unsafe QuantizedModel Run(LlamaModel source, LayerPlan plan)
    {
        var sw = source.Weights;
        var layers = (LlamaLayerWeights[])sw.Layers.Clone();
        var weights = new LlamaWeights { Embedding = sw.Embedding, Output = sw.Output, FinalNorm = sw.FinalNorm, Layers = layers };
        var model = new LlamaModel(source.Config, weights);
        var buffers = new List<NativeBuffer>();
        var quantized = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        static float[] Floats(Tensor t)
        {
            var a = new float[t.ElementCount];
            Dequant.Row(t.DType, t.Data, a);
            return a;
        }
        try
        {
            for (int l = 0; l < layers.Length; l++)
            {
                var quantize = plan(model, l, Floats);
                Tensor Q(Tensor t, LinearInput input)
                {
                    var qm = quantize(t, input);
                    var buf = new NativeBuffer(DTypes.ByteCount(qm.Grid.Storage, t.ElementCount));
                    buffers.Add(buf);
                    var qt = qm.ToTensor(t.Name, buf);
                    quantized.Add(qt);
                    return qt;
                }
                var w = layers[l];
                layers[l] = new LlamaLayerWeights
                {
                    AttnNorm = w.AttnNorm, FfnNorm = w.FfnNorm, Bq = w.Bq, Bk = w.Bk, Bv = w.Bv, QNorm = w.QNorm, KNorm = w.KNorm,
                    Wq = Q(w.Wq, LinearInput.Attention), Wk = Q(w.Wk, LinearInput.Attention), Wv = Q(w.Wv, LinearInput.Attention),
                    Wo = Q(w.Wo, LinearInput.AttentionOutput),
                    Gate = Q(w.Gate, LinearInput.Mlp), Up = Q(w.Up, LinearInput.Mlp), Down = Q(w.Down, LinearInput.Down),
                };
            }
            return new QuantizedModel(model, buffers, quantized);
        }
        catch
        {
            foreach (var b in buffers) b.Dispose();
            throw;
        }
    }
}
