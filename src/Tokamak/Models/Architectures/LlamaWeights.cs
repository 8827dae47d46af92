using Tokamak.Models.Formats;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Architectures;

/// <summary>One decoder layer's weights. Matrices stay in the file's dtype (memory-mapped); vectors are F32 copies.</summary>
public sealed class LlamaLayerWeights
{
    /// <summary>RMSNorm before attention. [hidden]</summary>
    public required float[] AttnNorm { get; init; }
    /// <summary>Query projection. [heads * headDim, hidden]</summary>
    public required Tensor Wq { get; init; }
    /// <summary>Key projection. [kvHeads * headDim, hidden]</summary>
    public required Tensor Wk { get; init; }
    /// <summary>Value projection. [kvHeads * headDim, hidden]</summary>
    public required Tensor Wv { get; init; }
    /// <summary>Attention output projection. [hidden, heads * headDim]</summary>
    public required Tensor Wo { get; init; }
    /// <summary>Q/K/V biases (Qwen2). [heads * headDim], [kvHeads * headDim] ×2</summary>
    public float[]? Bq { get; init; }
    /// <inheritdoc cref="Bq"/>
    public float[]? Bk { get; init; }
    /// <inheritdoc cref="Bq"/>
    public float[]? Bv { get; init; }
    /// <summary>Per-head RMSNorm on Q and K (Qwen3). [headDim]</summary>
    public float[]? QNorm { get; init; }
    /// <inheritdoc cref="QNorm"/>
    public float[]? KNorm { get; init; }
    /// <summary>RMSNorm before the MLP. [hidden]</summary>
    public required float[] FfnNorm { get; init; }
    /// <summary>MLP gate projection (SiLU branch). [intermediate, hidden]</summary>
    public required Tensor Gate { get; init; }
    /// <summary>MLP up projection. [intermediate, hidden]</summary>
    public required Tensor Up { get; init; }
    /// <summary>MLP down projection. [hidden, intermediate]</summary>
    public required Tensor Down { get; init; }
}

/// <summary>
/// All weights of a Llama-family decoder, bound by name from any <see cref="ITensorSource"/> and checked against
/// the config's shapes. Hugging Face names (<c>model.layers.N.self_attn.q_proj.weight</c>) and GGUF names
/// (<c>blk.N.attn_q.weight</c>) are both understood.
/// </summary>
public sealed class LlamaWeights
{
    /// <summary>Token embedding. [vocab, hidden]</summary>
    public required Tensor Embedding { get; init; }
    /// <summary>Output projection (the embedding itself when tied). [vocab, hidden]</summary>
    public required Tensor Output { get; init; }
    /// <summary>Final RMSNorm. [hidden]</summary>
    public required float[] FinalNorm { get; init; }
    /// <summary>Decoder layers, first to last.</summary>
    public required LlamaLayerWeights[] Layers { get; init; }

    /// <summary>Binds and validates every tensor the config needs.</summary>
    public static LlamaWeights Bind(ITensorSource src, ModelConfig cfg)
    {
        bool gguf = src.Find("token_embd.weight") is not null || src.Find("blk.0.attn_q.weight") is not null;
        string G(string hf, string gg) => gguf ? gg : hf;
        Tensor? Opt(string name, params long[] shape)
        {
            var t = src.Find(name);
            if (t is null) return null;
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}] for this config");
            return t;
        }
        Tensor Req(string name, params long[] shape) => Opt(name, shape) ?? throw Missing(src, name);
        float[] Vec(string name, long n) => ToFloats(Req(name, n));
        float[]? OptVec(string name, long n) => Opt(name, n) is { } t ? ToFloats(t) : null;

        int h = cfg.HiddenSize, q = cfg.QDim, kv = cfg.KvDim, ff = cfg.IntermediateSize, v = cfg.VocabSize, hd = cfg.HeadDim;
        // TinyStories-656K stores only lm_head.weight and ties embed_tokens to it, so either name may carry the matrix.
        var embed = Opt(G("model.embed_tokens.weight", "token_embd.weight"), v, h);
        var head = Opt(G("lm_head.weight", "output.weight"), v, h);
        embed ??= head ?? throw Missing(src, G("model.embed_tokens.weight", "token_embd.weight"));
        if (cfg.TieWordEmbeddings || head is null) head = embed;

        var layers = new LlamaLayerWeights[cfg.Layers];
        for (int l = 0; l < cfg.Layers; l++)
        {
            string p = gguf ? $"blk.{l}." : $"model.layers.{l}.";
            layers[l] = new LlamaLayerWeights
            {
                AttnNorm = Vec(p + G("input_layernorm.weight", "attn_norm.weight"), h),
                Wq = Req(p + G("self_attn.q_proj.weight", "attn_q.weight"), q, h),
                Wk = Req(p + G("self_attn.k_proj.weight", "attn_k.weight"), kv, h),
                Wv = Req(p + G("self_attn.v_proj.weight", "attn_v.weight"), kv, h),
                Wo = Req(p + G("self_attn.o_proj.weight", "attn_output.weight"), h, q),
                Bq = cfg.QkvBias ? Vec(p + G("self_attn.q_proj.bias", "attn_q.bias"), q) : null,
                Bk = cfg.QkvBias ? Vec(p + G("self_attn.k_proj.bias", "attn_k.bias"), kv) : null,
                Bv = cfg.QkvBias ? Vec(p + G("self_attn.v_proj.bias", "attn_v.bias"), kv) : null,
                QNorm = cfg.QkNorm ? Vec(p + G("self_attn.q_norm.weight", "attn_q_norm.weight"), hd) : OptVec(p + G("self_attn.q_norm.weight", "attn_q_norm.weight"), hd),
                KNorm = cfg.QkNorm ? Vec(p + G("self_attn.k_norm.weight", "attn_k_norm.weight"), hd) : OptVec(p + G("self_attn.k_norm.weight", "attn_k_norm.weight"), hd),
                FfnNorm = Vec(p + G("post_attention_layernorm.weight", "ffn_norm.weight"), h),
                Gate = Req(p + G("mlp.gate_proj.weight", "ffn_gate.weight"), ff, h),
                Up = Req(p + G("mlp.up_proj.weight", "ffn_up.weight"), ff, h),
                Down = Req(p + G("mlp.down_proj.weight", "ffn_down.weight"), h, ff),
            };
        }
        return new LlamaWeights
        {
            Embedding = embed,
            Output = head,
            FinalNorm = Vec(G("model.norm.weight", "output_norm.weight"), h),
            Layers = layers,
        };
    }

    /// <summary>Every matrix of the model, for reporting dtypes and memory.</summary>
    public IEnumerable<Tensor> Matrices()
    {
        yield return Embedding;
        if (!ReferenceEquals(Output, Embedding)) yield return Output;
        foreach (var l in Layers)
        {
            yield return l.Wq; yield return l.Wk; yield return l.Wv; yield return l.Wo;
            yield return l.Gate; yield return l.Up; yield return l.Down;
        }
    }

    private static unsafe float[] ToFloats(Tensor t)
    {
        var a = new float[t.ElementCount];
        Dequant.Row(t.DType, t.Data, a);
        return a;
    }

    private static InvalidDataException Missing(ITensorSource src, string name)
    {
        if (src is GgufFile g && g.UnsupportedTensorTypes.TryGetValue(name, out uint type))
            return new InvalidDataException($"tensor '{name}' is stored as {GgufTypes.Name(type)}, which Tokamak cannot run yet (supported: {string.Join(", ", Enum.GetValues<DType>().Select(DTypes.Name))})");
        return new InvalidDataException($"tensor '{name}' is missing from the model file");
    }
}
