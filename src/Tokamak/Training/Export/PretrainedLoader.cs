using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Export;

/// <summary>
/// Builds a <see cref="LlamaTrainModel"/> from any model Tokamak loads (Hugging Face safetensors in F32/F16/BF16,
/// GGUF including quantized types, llama2.c), dequantizing every tensor to float32.
/// </summary>
public static class PretrainedLoader
{
    /// <summary>
    /// Opens <paramref name="path"/> and returns a trainable copy. Adapters and the value head (when
    /// <paramref name="options"/> ask for them) are freshly initialized from <paramref name="seed"/>.
    /// </summary>
    public static LlamaTrainModel Load(string path, TrainModelOptions? options = null, ulong seed = 0)
    {
        using var loaded = WeightsLoader.Load(path);
        var cfg = loaded.Config;
        // Some files (TinyStories-656K, GGUFs without output.weight) tie the head by omission.
        if (!cfg.TieWordEmbeddings && ReferenceEquals(loaded.Weights.Output, loaded.Weights.Embedding)) cfg = cfg with { TieWordEmbeddings = true };
        var model = new LlamaTrainModel(cfg, options ?? new TrainModelOptions());
        model.InitializeWeights(seed);
        CopyWeights(loaded.Weights, model);
        return model;
    }

    /// <summary>Copies (dequantizing) bound inference weights into the base parameters of <paramref name="model"/>.</summary>
    public static void CopyWeights(LlamaWeights w, LlamaTrainModel model)
    {
        var c = model.Config;
        var L = model.Layout;
        var P = model.Parameters;
        Matrix(w.Embedding, L["model.embed_tokens.weight"].Of(P));
        if (!c.TieWordEmbeddings) Matrix(w.Output, L["lm_head.weight"].Of(P));
        w.FinalNorm.CopyTo(L["model.norm.weight"].Of(P));
        for (int l = 0; l < c.Layers; l++)
        {
            var lw = w.Layers[l];
            string p = $"model.layers.{l}.";
            if (lw.QNorm is not null || lw.KNorm is not null) throw new NotSupportedException("training with per-head Q/K norm (Qwen3) is not supported yet");
            lw.AttnNorm.CopyTo(L[p + "input_layernorm.weight"].Of(P));
            lw.FfnNorm.CopyTo(L[p + "post_attention_layernorm.weight"].Of(P));
            Matrix(lw.Wq, L[p + "self_attn.q_proj.weight"].Of(P));
            Matrix(lw.Wk, L[p + "self_attn.k_proj.weight"].Of(P));
            Matrix(lw.Wv, L[p + "self_attn.v_proj.weight"].Of(P));
            Matrix(lw.Wo, L[p + "self_attn.o_proj.weight"].Of(P));
            Matrix(lw.Gate, L[p + "mlp.gate_proj.weight"].Of(P));
            Matrix(lw.Up, L[p + "mlp.up_proj.weight"].Of(P));
            Matrix(lw.Down, L[p + "mlp.down_proj.weight"].Of(P));
            if (c.QkvBias)
            {
                lw.Bq!.CopyTo(L[p + "self_attn.q_proj.bias"].Of(P));
                lw.Bk!.CopyTo(L[p + "self_attn.k_proj.bias"].Of(P));
                lw.Bv!.CopyTo(L[p + "self_attn.v_proj.bias"].Of(P));
            }
        }
    }

    // Row by row, because quantized blocks never straddle rows but may not tile a whole tensor in one call.
    private static unsafe void Matrix(Tensor t, Span<float> dst)
    {
        if (t.ElementCount != dst.Length) throw new InvalidDataException($"tensor '{t.Name}' has {t.ElementCount} elements, the training layout expects {dst.Length}");
        int cols = t.Cols;
        for (int r = 0; r < t.Rows; r++) Dequant.Row(t.DType, t.Row(r), dst.Slice(r * cols, cols));
    }
}
