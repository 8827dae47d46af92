using Tokamak.Models;
using Tokamak.Models.Formats;

namespace Tokamak.Training.Config;

/// <summary>
/// Inline model shape of a from-scratch run, with Hugging Face <c>config.json</c> key names; unset keys come from
/// <c>model_config</c>, the tokenizer (vocabulary, BOS/EOS) or Llama defaults.
/// </summary>
public sealed class ModelShape
{
    /// <summary>hidden_size.</summary>
    public int? HiddenSize { get; set; }
    /// <summary>num_hidden_layers.</summary>
    public int? Layers { get; set; }
    /// <summary>num_attention_heads.</summary>
    public int? Heads { get; set; }
    /// <summary>num_key_value_heads (default: num_attention_heads).</summary>
    public int? KvHeads { get; set; }
    /// <summary>head_dim (default: hidden_size / num_attention_heads).</summary>
    public int? HeadDim { get; set; }
    /// <summary>intermediate_size.</summary>
    public int? IntermediateSize { get; set; }
    /// <summary>vocab_size (default: the tokenizer's).</summary>
    public int? VocabSize { get; set; }
    /// <summary>max_position_embeddings (default: max(2048, cutoff_len)).</summary>
    public int? MaxPositions { get; set; }
    /// <summary>tie_word_embeddings (default false).</summary>
    public bool? TieWordEmbeddings { get; set; }
    /// <summary>rope_theta (default 10000).</summary>
    public float? RopeTheta { get; set; }
    /// <summary>rms_norm_eps (default 1e-6).</summary>
    public float? RmsEps { get; set; }
    /// <summary>attention_bias: q/k/v projection biases (default false).</summary>
    public bool? AttentionBias { get; set; }

    private static readonly string[] Keys = ["hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
        "intermediate_size", "vocab_size", "max_position_embeddings", "tie_word_embeddings", "rope_theta", "rms_norm_eps", "attention_bias"];

    /// <summary>True when no shape key was given.</summary>
    public bool IsEmpty => HiddenSize is null && Layers is null && Heads is null && KvHeads is null && HeadDim is null && IntermediateSize is null
        && VocabSize is null && MaxPositions is null && TieWordEmbeddings is null && RopeTheta is null && RmsEps is null && AttentionBias is null;

    internal static string? FirstKey(IEnumerable<string> present) => present.FirstOrDefault(Keys.Contains);

    /// <summary>
    /// The model config of a from-scratch run: <paramref name="configJson"/> (a config.json file, if any), overridden
    /// by the inline keys; vocabulary and BOS/EOS default to the tokenizer's.
    /// </summary>
    public ModelConfig Build(string? configJson, int? tokenizerVocab, int? bos, int? eos, int cutoffLen)
    {
        var baseCfg = configJson is null ? null : ReadConfigJson(configJson);
        int hidden = HiddenSize ?? baseCfg?.HiddenSize ?? throw Missing("hidden_size");
        int heads = Heads ?? baseCfg?.Heads ?? throw Missing("num_attention_heads");
        int vocab = VocabSize ?? baseCfg?.VocabSize ?? tokenizerVocab ?? throw Missing("vocab_size");
        if (tokenizerVocab is int tv && tv > vocab)
            throw new InvalidDataException($"vocab_size {vocab} is smaller than the tokenizer's {tv} tokens");
        if (hidden % heads != 0 && HeadDim is null && baseCfg is null)
            throw new InvalidDataException($"hidden_size {hidden} is not divisible by num_attention_heads {heads}; set head_dim");
        var cfg = (baseCfg ?? new ModelConfig { Architecture = "LlamaForCausalLM", RmsEps = 1e-6f }) with
        {
            HiddenSize = hidden,
            Layers = Layers ?? baseCfg?.Layers ?? throw Missing("num_hidden_layers"),
            Heads = heads,
            KvHeads = KvHeads ?? (baseCfg is not null && Heads is null ? baseCfg.KvHeads : heads),
            HeadDim = HeadDim ?? (baseCfg is not null && HiddenSize is null && Heads is null ? baseCfg.HeadDim : hidden / heads),
            IntermediateSize = IntermediateSize ?? baseCfg?.IntermediateSize ?? throw Missing("intermediate_size"),
            VocabSize = vocab,
            MaxPositions = MaxPositions ?? baseCfg?.MaxPositions ?? Math.Max(2048, cutoffLen),
            TieWordEmbeddings = TieWordEmbeddings ?? baseCfg?.TieWordEmbeddings ?? false,
            RopeTheta = RopeTheta ?? baseCfg?.RopeTheta ?? 10000f,
            RmsEps = RmsEps ?? baseCfg?.RmsEps ?? 1e-6f,
            QkvBias = AttentionBias ?? baseCfg?.QkvBias ?? false,
            BosTokenId = bos ?? baseCfg?.BosTokenId,
            EosTokenIds = eos is int e ? [e] : baseCfg?.EosTokenIds ?? [],
        };
        if (cfg.QkNorm) throw new NotSupportedException("training with per-head Q/K norm (Qwen3) is not supported yet");
        cfg.Validate();
        return cfg;
    }

    private static InvalidDataException Missing(string key) => new($"training from scratch needs '{key}' (inline or in model_config)");

    // HfConfigReader reads a folder's config.json; a differently named file is read through a scratch folder.
    private static ModelConfig ReadConfigJson(string path)
    {
        if (Directory.Exists(path)) return HfConfigReader.Read(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model_config: {path} does not exist", path);
        if (Path.GetFileName(path) == "config.json") return HfConfigReader.Read(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = Directory.CreateTempSubdirectory("tokamak-model-config");
        try
        {
            File.Copy(path, Path.Combine(tmp.FullName, "config.json"));
            return HfConfigReader.Read(tmp.FullName);
        }
        finally { tmp.Delete(recursive: true); }
    }
}
