using System.Text.Json;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Formats;

/// <summary>Reads a Hugging Face <c>config.json</c> (plus <c>generation_config.json</c> for EOS ids) into a <see cref="ModelConfig"/>.</summary>
public static class HfConfigReader
{
    /// <summary>Architectures (config.json <c>architectures[0]</c>) that run on the Llama-family forward pass.</summary>
    public static readonly IReadOnlyList<string> Supported =
        ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"];

    /// <summary>Parses <c>config.json</c> in <paramref name="dir"/>.</summary>
    public static ModelConfig Read(string dir)
    {
        string path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"no config.json in {dir}", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var r = doc.RootElement;
            string arch = r.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
                ? a[0].GetString() ?? ""
                : Str(r, "model_type") ?? "";
            if (!Supported.Contains(arch))
                throw new NotSupportedException($"unsupported architecture '{arch}' (Tokamak runs {string.Join(", ", Supported)})");
            int hidden = Int(r, "hidden_size"), heads = Int(r, "num_attention_heads");
            bool isQwen2 = arch == "Qwen2ForCausalLM", isQwen3 = arch == "Qwen3ForCausalLM";
            var cfg = new ModelConfig
            {
                Architecture = arch,
                HiddenSize = hidden,
                IntermediateSize = Int(r, "intermediate_size"),
                Layers = Int(r, "num_hidden_layers"),
                Heads = heads,
                KvHeads = r.TryGetProperty("num_key_value_heads", out var kv) && kv.ValueKind == JsonValueKind.Number ? kv.GetInt32() : heads,
                HeadDim = r.TryGetProperty("head_dim", out var hd) && hd.ValueKind == JsonValueKind.Number ? hd.GetInt32() : (heads > 0 ? hidden / heads : 0),
                VocabSize = Int(r, "vocab_size"),
                MaxPositions = r.TryGetProperty("max_position_embeddings", out var mp) && mp.ValueKind == JsonValueKind.Number ? mp.GetInt32() : 2048,
                RmsEps = Float(r, "rms_norm_eps", 1e-6f),
                RopeTheta = Float(r, "rope_theta", 10000f),
                RopeScaling = ReadRopeScaling(r),
                RopeStyle = RopeStyle.Neox,
                TieWordEmbeddings = r.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True,
                QkvBias = isQwen2 || (r.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
                QkNorm = isQwen3,
                BosTokenId = r.TryGetProperty("bos_token_id", out var bos) && bos.ValueKind == JsonValueKind.Number ? bos.GetInt32() : null,
                EosTokenIds = ReadEos(r),
            };
            string genPath = Path.Combine(dir, "generation_config.json");
            if (File.Exists(genPath))
            {
                try
                {
                    using var gen = JsonDocument.Parse(File.ReadAllBytes(genPath));
                    var eos = ReadEos(gen.RootElement);
                    if (eos.Count > 0) cfg = cfg with { EosTokenIds = eos };
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{genPath}: not valid JSON ({e.Message})");
                }
            }
            cfg.Validate();
            return cfg;
        }
    }

    private static RopeScaling? ReadRopeScaling(JsonElement r)
    {
        if (!r.TryGetProperty("rope_scaling", out var s) || s.ValueKind != JsonValueKind.Object) return null;
        string type = Str(s, "rope_type") ?? Str(s, "type") ?? "default";
        if (type == "default") return null;
        return new RopeScaling(
            type,
            Float(s, "factor", 1f),
            Float(s, "low_freq_factor", 1f),
            Float(s, "high_freq_factor", 4f),
            s.TryGetProperty("original_max_position_embeddings", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetInt32() : 8192,
            Float(s, "beta_fast", 32f),
            Float(s, "beta_slow", 1f),
            s.TryGetProperty("attention_factor", out var af) && af.ValueKind == JsonValueKind.Number ? af.GetSingle() : null);
    }

    private static List<int> ReadEos(JsonElement r)
    {
        if (!r.TryGetProperty("eos_token_id", out var e)) return [];
        return e.ValueKind switch
        {
            JsonValueKind.Number => [e.GetInt32()],
            JsonValueKind.Array => e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32()).ToList(),
            _ => [],
        };
    }

    private static string? Str(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
            : throw new InvalidDataException($"config.json: '{name}' is missing or not an integer");

    private static float Float(JsonElement r, string name, float fallback) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : fallback;
}
