using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Engine.Sampling;
using Tokamak.Models.Formats;
using Tokamak.Tensors;

namespace Tokamak.Models;

/// <summary>
/// Writes a random-weight Hugging Face model folder with a real model's shapes (config.json + model.safetensors +
/// a copied tokenizer), for speed work: speed does not depend on weight values. Matrices are uniform with standard
/// deviation 0.02 (the usual init scale), norms are 1, biases 0.
/// </summary>
public static class RandomModelWriter
{
    /// <summary>Writes the model described by <paramref name="configPath"/> to <paramref name="outDir"/>.</summary>
    public static ModelConfig Write(string configPath, string outDir, DType dtype, ulong seed, string? tokenizerDir, Action<string>? progress = null)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"synth writes f32, f16 or bf16, not {DTypes.Name(dtype)}");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"config not found: {configPath}", configPath);
        Directory.CreateDirectory(outDir);
        var configJson = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
            ?? throw new InvalidDataException($"{configPath}: not a JSON object");
        configJson["torch_dtype"] = dtype switch { DType.F32 => "float32", DType.F16 => "float16", _ => "bfloat16" };
        File.WriteAllText(Path.Combine(outDir, "config.json"), configJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var cfg = HfConfigReader.Read(outDir);

        if (tokenizerDir is not null)
        {
            foreach (string name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" })
            {
                string src = Path.Combine(tokenizerDir, name);
                if (File.Exists(src)) File.Copy(src, Path.Combine(outDir, name), overwrite: true);
            }
        }

        var tensors = TensorList(cfg);
        var rng = new Xoshiro256(seed);
        using (var w = new SafeTensorsWriter(Path.Combine(outDir, "model.safetensors"), tensors.Select(t => (t.Name, dtype, t.Shape)),
            new Dictionary<string, string> { ["format"] = "pt", ["tokamak.synth_seed"] = seed.ToString() }))
        {
            var floats = new float[1 << 16];
            foreach (var (name, shape, kind) in tensors)
            {
                progress?.Invoke(name);
                long n = shape.Aggregate(1L, (a, b) => a * b);
                for (long done = 0; done < n; done += floats.Length)
                {
                    int m = (int)Math.Min(floats.Length, n - done);
                    const float Half = 0.02f * 1.7320508f; // uniform(-a, a) has std a/√3
                    for (int i = 0; i < m; i++)
                        floats[i] = kind switch { 'n' => 1f, 'b' => 0f, _ => (float)(rng.NextDouble() * 2 - 1) * Half };
                    w.WriteFloats(floats.AsSpan(0, m));
                }
                w.EndTensor();
            }
        }
        return cfg;
    }

    /// <summary>Hugging Face tensor names and shapes of a config; kind 'w' matrix, 'n' norm, 'b' bias.</summary>
    public static List<(string Name, long[] Shape, char Kind)> TensorList(ModelConfig c)
    {
        var list = new List<(string, long[], char)> { ("model.embed_tokens.weight", [c.VocabSize, c.HiddenSize], 'w') };
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add((p + "input_layernorm.weight", [c.HiddenSize], 'n'));
            list.Add((p + "self_attn.q_proj.weight", [c.QDim, c.HiddenSize], 'w'));
            list.Add((p + "self_attn.k_proj.weight", [c.KvDim, c.HiddenSize], 'w'));
            list.Add((p + "self_attn.v_proj.weight", [c.KvDim, c.HiddenSize], 'w'));
            if (c.QkvBias)
            {
                list.Add((p + "self_attn.q_proj.bias", [c.QDim], 'b'));
                list.Add((p + "self_attn.k_proj.bias", [c.KvDim], 'b'));
                list.Add((p + "self_attn.v_proj.bias", [c.KvDim], 'b'));
            }
            if (c.QkNorm)
            {
                list.Add((p + "self_attn.q_norm.weight", [c.HeadDim], 'n'));
                list.Add((p + "self_attn.k_norm.weight", [c.HeadDim], 'n'));
            }
            list.Add((p + "self_attn.o_proj.weight", [c.HiddenSize, c.QDim], 'w'));
            list.Add((p + "post_attention_layernorm.weight", [c.HiddenSize], 'n'));
            list.Add((p + "mlp.gate_proj.weight", [c.IntermediateSize, c.HiddenSize], 'w'));
            list.Add((p + "mlp.up_proj.weight", [c.IntermediateSize, c.HiddenSize], 'w'));
            list.Add((p + "mlp.down_proj.weight", [c.HiddenSize, c.IntermediateSize], 'w'));
        }
        list.Add(("model.norm.weight", [c.HiddenSize], 'n'));
        if (!c.TieWordEmbeddings) list.Add(("lm_head.weight", [c.VocabSize, c.HiddenSize], 'w'));
        return list;
    }
}
