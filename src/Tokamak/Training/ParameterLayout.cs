using Tokamak.Models;
using Tokamak.Training.Lora;

namespace Tokamak.Training;

/// <summary>One named tensor inside the flat parameter array.</summary>
/// <param name="Name">Hugging Face style name (model.layers.0.self_attn.q_proj.weight).</param>
/// <param name="Offset">First float of the tensor in the flat array.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Decay">Whether weight decay applies (matrices yes; norm weights and biases no).</param>
public sealed record ParameterTensor(string Name, long Offset, int[] Shape, bool Decay)
{
    /// <summary>Number of floats.</summary>
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>This tensor's slice of a flat array laid out by the owning layout.</summary>
    public Span<float> Of(float[] flat) => flat.AsSpan(checked((int)Offset), checked((int)Length));
}

/// <summary>Per-layer tensors of a Llama decoder block (biases are null when the config has none).</summary>
public sealed record LlamaLayerTensors(
    ParameterTensor AttnNorm, ParameterTensor Wq, ParameterTensor? Bq, ParameterTensor Wk, ParameterTensor? Bk,
    ParameterTensor Wv, ParameterTensor? Bv, ParameterTensor Wo,
    ParameterTensor MlpNorm, ParameterTensor WGate, ParameterTensor WUp, ParameterTensor WDown);

/// <summary>
/// Where every parameter of a model lives in one contiguous float array (parameters, gradients and optimizer
/// moments all share this layout), in Hugging Face naming so checkpoints map onto safetensors model files.
/// </summary>
public sealed class ParameterLayout
{
    private readonly List<ParameterTensor> _tensors = [];
    private readonly Dictionary<string, ParameterTensor> _byName = new(StringComparer.Ordinal);

    /// <summary>All tensors in storage order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>Total floats.</summary>
    public long TotalLength { get; private set; }

    /// <summary>Looks a tensor up by name.</summary>
    public ParameterTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no parameter named '{name}'");

    /// <summary>Appends a tensor and returns it.</summary>
    public ParameterTensor Add(string name, int[] shape, bool decay)
    {
        if (_byName.ContainsKey(name)) throw new ArgumentException($"parameter '{name}' is defined twice");
        var t = new ParameterTensor(name, TotalLength, shape, decay);
        _tensors.Add(t);
        _byName[name] = t;
        TotalLength += t.Length;
        return t;
    }

    /// <summary>Builds the layout of a Llama-family decoder and returns the per-layer handles.</summary>
    internal static (ParameterLayout Layout, ParameterTensor Embed, LlamaLayerTensors[] Layers, ParameterTensor FinalNorm, ParameterTensor? LmHead) ForLlama(ModelConfig c)
    {
        var p = new ParameterLayout();
        int C = c.HiddenSize;
        var embed = p.Add("model.embed_tokens.weight", [c.VocabSize, C], decay: true);
        var layers = new LlamaLayerTensors[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            string pre = $"model.layers.{l}.";
            var attnNorm = p.Add(pre + "input_layernorm.weight", [C], false);
            var wq = p.Add(pre + "self_attn.q_proj.weight", [c.QDim, C], true);
            var bq = c.QkvBias ? p.Add(pre + "self_attn.q_proj.bias", [c.QDim], false) : null;
            var wk = p.Add(pre + "self_attn.k_proj.weight", [c.KvDim, C], true);
            var bk = c.QkvBias ? p.Add(pre + "self_attn.k_proj.bias", [c.KvDim], false) : null;
            var wv = p.Add(pre + "self_attn.v_proj.weight", [c.KvDim, C], true);
            var bv = c.QkvBias ? p.Add(pre + "self_attn.v_proj.bias", [c.KvDim], false) : null;
            var wo = p.Add(pre + "self_attn.o_proj.weight", [C, c.QDim], true);
            var mlpNorm = p.Add(pre + "post_attention_layernorm.weight", [C], false);
            var wg = p.Add(pre + "mlp.gate_proj.weight", [c.IntermediateSize, C], true);
            var wu = p.Add(pre + "mlp.up_proj.weight", [c.IntermediateSize, C], true);
            var wd = p.Add(pre + "mlp.down_proj.weight", [C, c.IntermediateSize], true);
            layers[l] = new LlamaLayerTensors(attnNorm, wq, bq, wk, bk, wv, bv, wo, mlpNorm, wg, wu, wd);
        }
        var finalNorm = p.Add("model.norm.weight", [C], false);
        var head = c.TieWordEmbeddings ? null : p.Add("lm_head.weight", [c.VocabSize, C], true);
        return (p, embed, layers, finalNorm, head);
    }

    /// <summary>PEFT name prefix of a LoRA-adapted module, e.g. <c>base_model.model.model.layers.0.self_attn.q_proj</c>.</summary>
    public static string LoraPrefix(int layer, LoraModule module) =>
        $"base_model.model.model.layers.{layer}.{(module <= LoraModule.O ? "self_attn" : "mlp")}.{LoraSettings.ModuleNames[(int)module]}";

    /// <summary>
    /// Appends LoRA A <c>[r, in]</c> and B <c>[out, r]</c> for every targeted module of every layer (PEFT names) and
    /// returns the handles, <c>[layers, 7]</c> with nulls for untargeted modules.
    /// </summary>
    internal LoraPair?[,] AddLora(ModelConfig c, LoraSettings s)
    {
        var pairs = new LoraPair?[c.Layers, 7];
        for (int l = 0; l < c.Layers; l++)
            foreach (var m in s.Targets)
            {
                var (outDim, inDim) = ProjectionShape(c, m);
                string pre = LoraPrefix(l, m);
                // Hugging Face trainers apply weight decay to every non-bias, non-norm tensor, adapters included.
                var a = Add(pre + ".lora_A.weight", [s.Rank, inDim], decay: true);
                var b = Add(pre + ".lora_B.weight", [outDim, s.Rank], decay: true);
                pairs[l, (int)m] = new LoraPair(a, b);
            }
        return pairs;
    }

    /// <summary>Appends the reward model's scalar head (TRL / LLaMA-Factory naming).</summary>
    internal (ParameterTensor Weight, ParameterTensor Bias) AddValueHead(ModelConfig c) =>
        (Add("v_head.summary.weight", [1, c.HiddenSize], decay: true), Add("v_head.summary.bias", [1], decay: false));

    /// <summary>(out, in) of a block projection.</summary>
    public static (int Out, int In) ProjectionShape(ModelConfig c, LoraModule m) => m switch
    {
        LoraModule.Q => (c.QDim, c.HiddenSize),
        LoraModule.K or LoraModule.V => (c.KvDim, c.HiddenSize),
        LoraModule.O => (c.HiddenSize, c.QDim),
        LoraModule.Gate or LoraModule.Up => (c.IntermediateSize, c.HiddenSize),
        _ => (c.HiddenSize, c.IntermediateSize),
    };
}

/// <summary>LoRA A and B of one adapted projection.</summary>
public sealed record LoraPair(ParameterTensor A, ParameterTensor B);
