using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Models;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Export;

/// <summary>
/// Writes a trained model as a Hugging Face folder — <c>config.json</c>, <c>model.safetensors</c> and the tokenizer
/// files copied from the base model — that Tokamak's engine and transformers both load. LoRA models are merged
/// first; a reward model's head goes to <c>value_head.safetensors</c> (LLaMA-Factory's layout). Q/K rows of a
/// model trained in llama.cpp's interleaved RoPE order are put back in Hugging Face order.
/// </summary>
public static class HfModelExporter
{
    /// <summary>Tokenizer and generation files copied from the base model's folder when present.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "tokenizer.model", "vocab.json", "merges.txt"];

    /// <summary>Exports <paramref name="model"/> to <paramref name="dir"/>; <paramref name="tokenizerSource"/> is the base model path (folder or file).</summary>
    public static void Export(LlamaTrainModel model, string dir, string? tokenizerSource = null, DType dtype = DType.F32)
    {
        if (model.Lora is not null) model = LoraMerge.Merge(model);
        var c = model.Config;
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, int[], float[])>();
        foreach (var t in model.Layout.Tensors)
        {
            if (t.Name.StartsWith("v_head.", StringComparison.Ordinal)) continue;
            tensors.Add((t.Name, t.Shape, HfOrder(t.Name, t.Of(model.Parameters), t.Shape, c)));
        }
        // Write to a temporary name and rename, so an interrupted export never leaves a half file under the real name.
        string st = Path.Combine(dir, "model.safetensors");
        TensorEncoding.WriteAll(st + ".tmp", tensors, dtype, new Dictionary<string, string> { ["format"] = "pt" });
        File.Move(st + ".tmp", st, overwrite: true);
        if (model.ValueHead is { } vh)
            TensorEncoding.WriteAll(Path.Combine(dir, "value_head.safetensors"),
                [(vh.Weight.Name, vh.Weight.Shape, vh.Weight.Of(model.Parameters).ToArray()), (vh.Bias.Name, vh.Bias.Shape, vh.Bias.Of(model.Parameters).ToArray())], DType.F32);
        File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson(c, dtype).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (tokenizerSource is not null) CopyTokenizer(tokenizerSource, dir);
    }

    /// <summary>Copies the tokenizer/generation files of a base model (folder, or the folder of a file) into <paramref name="dir"/>.</summary>
    public static void CopyTokenizer(string source, string dir)
    {
        string srcDir = Directory.Exists(source) ? source : Path.GetDirectoryName(Path.GetFullPath(source))!;
        if (Path.GetFullPath(srcDir) == Path.GetFullPath(dir)) return;
        foreach (var name in TokenizerFiles)
        {
            string f = Path.Combine(srcDir, name);
            if (File.Exists(f)) File.Copy(f, Path.Combine(dir, name), overwrite: true);
        }
    }

    /// <summary>A tensor's values in Hugging Face row order (a copy).</summary>
    internal static float[] HfOrder(string name, ReadOnlySpan<float> data, int[] shape, ModelConfig c)
    {
        var copy = data.ToArray();
        int heads = c.RopeStyle == RopeStyle.Interleaved ? RopeRowOrder.RotatedHeads(name, c) : 0;
        if (heads == 0) return copy;
        int cols = shape.Length == 1 ? 1 : shape[1];
        var dst = new float[copy.Length];
        RopeRowOrder.InterleavedToNeox(copy, dst, heads, c.HeadDim, cols);
        return dst;
    }

    /// <summary>The config.json transformers expects for this shape.</summary>
    public static JsonObject ConfigJson(ModelConfig c, DType dtype)
    {
        string a = c.Architecture.ToLowerInvariant();
        (string arch, string type) = a.Contains("qwen2") ? ("Qwen2ForCausalLM", "qwen2") : a.Contains("mistral") ? ("MistralForCausalLM", "mistral") : ("LlamaForCausalLM", "llama");
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(arch),
            ["model_type"] = type,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["num_key_value_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadDim,
            ["vocab_size"] = c.VocabSize,
            ["max_position_embeddings"] = c.MaxPositions,
            ["rms_norm_eps"] = c.RmsEps,
            ["rope_theta"] = c.RopeTheta,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = c.QkvBias,
            ["mlp_bias"] = false,
            ["torch_dtype"] = dtype switch { DType.F32 => "float32", DType.F16 => "float16", _ => "bfloat16" },
        };
        if (c.BosTokenId is int bos) o["bos_token_id"] = bos;
        if (c.EosTokenIds.Count == 1) o["eos_token_id"] = c.EosTokenIds[0];
        else if (c.EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(c.EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (c.RopeScaling is { } s)
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = s.Type, ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor, ["high_freq_factor"] = s.HighFreqFactor,
                ["original_max_position_embeddings"] = s.OriginalMaxPositions, ["beta_fast"] = s.BetaFast, ["beta_slow"] = s.BetaSlow,
                ["attention_factor"] = s.AttentionFactor,
            };
        return o;
    }
}
