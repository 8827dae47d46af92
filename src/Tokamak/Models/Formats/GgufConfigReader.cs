using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Formats;

/// <summary>Reads a <see cref="ModelConfig"/> from GGUF metadata (<c>{arch}.embedding_length</c> and friends).</summary>
public static class GgufConfigReader
{
    /// <summary>GGUF <c>general.architecture</c> values that run on the Llama-family forward pass.</summary>
    public static readonly IReadOnlyList<string> Supported = ["llama", "mistral", "qwen2", "qwen3"];

    /// <summary>Builds the config; unknown architectures fail with their name.</summary>
    public static ModelConfig Read(GgufFile f)
    {
        string arch = f.Get("general.architecture", "");
        if (!Supported.Contains(arch))
            throw new NotSupportedException($"unsupported architecture '{arch}' (Tokamak runs GGUF {string.Join(", ", Supported)})");
        int Req(string key) => f.Has($"{arch}.{key}") ? f.Get($"{arch}.{key}", 0)
            : throw new InvalidDataException($"{Path.GetFileName(f.Path)}: metadata '{arch}.{key}' is missing");
        int hidden = Req("embedding_length"), heads = Req("attention.head_count");
        int vocab = f.Has($"{arch}.vocab_size") ? f.Get($"{arch}.vocab_size", 0)
            : f.Metadata.TryGetValue("tokenizer.ggml.tokens", out var toks) && toks is string[] ts ? ts.Length
            : (int)(f.Find("token_embd.weight")?.Shape[0] ?? 0);
        RopeScaling? scaling = null;
        string scalingType = f.Get($"{arch}.rope.scaling.type", "none");
        if (scalingType is not ("none" or ""))
        {
            scaling = new RopeScaling(
                scalingType,
                f.Get($"{arch}.rope.scaling.factor", 1f),
                OriginalMaxPositions: f.Get($"{arch}.rope.scaling.original_context_length", 8192));
        }
        var eos = new List<int>();
        if (f.Has("tokenizer.ggml.eos_token_id")) eos.Add(f.Get("tokenizer.ggml.eos_token_id", 0));
        if (f.Has("tokenizer.ggml.eot_token_id")) eos.Add(f.Get("tokenizer.ggml.eot_token_id", 0));
        var cfg = new ModelConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            IntermediateSize = Req("feed_forward_length"),
            Layers = Req("block_count"),
            Heads = heads,
            KvHeads = f.Has($"{arch}.attention.head_count_kv") ? f.Get($"{arch}.attention.head_count_kv", heads) : heads,
            HeadDim = f.Has($"{arch}.attention.key_length") ? f.Get($"{arch}.attention.key_length", 0) : hidden / heads,
            VocabSize = vocab,
            MaxPositions = f.Get($"{arch}.context_length", 2048),
            RmsEps = f.Get($"{arch}.attention.layer_norm_rms_epsilon", 1e-5f),
            RopeTheta = f.Get($"{arch}.rope.freq_base", 10000f),
            RopeScaling = scaling,
            // llama.cpp's converter permutes Q/K rows of "llama" models so RoPE rotates adjacent pairs; qwen keeps NeoX.
            RopeStyle = arch is "llama" or "mistral" ? RopeStyle.Interleaved : RopeStyle.Neox,
            TieWordEmbeddings = f.Find("output.weight") is null,
            QkvBias = f.Find("blk.0.attn_q.bias") is not null,
            QkNorm = f.Find("blk.0.attn_q_norm.weight") is not null,
            BosTokenId = f.Has("tokenizer.ggml.bos_token_id") ? f.Get("tokenizer.ggml.bos_token_id", 0) : null,
            EosTokenIds = eos.Distinct().ToList(),
        };
        cfg.Validate();
        return cfg;
    }
}
