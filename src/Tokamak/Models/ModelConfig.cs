using Tokamak.Tensors.Kernels;

namespace Tokamak.Models;

/// <summary>
/// Hyper-parameters of a Llama-family decoder, read from config.json, GGUF metadata or a llama2.c header.
/// Everything the forward pass branches on lives here, so architectures differ by data, not by code paths.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Architecture name as the file states it (e.g. LlamaForCausalLM, qwen2).</summary>
    public string Architecture { get; init; } = "llama";

    /// <summary>Residual stream width (d_model).</summary>
    public int HiddenSize { get; init; }

    /// <summary>MLP inner width.</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public int Layers { get; init; }

    /// <summary>Query heads.</summary>
    public int Heads { get; init; }

    /// <summary>Key/value heads (GQA when fewer than <see cref="Heads"/>).</summary>
    public int KvHeads { get; init; }

    /// <summary>Per-head width; usually HiddenSize / Heads but Qwen3 sets it explicitly.</summary>
    public int HeadDim { get; init; }

    /// <summary>Vocabulary size (rows of the embedding).</summary>
    public int VocabSize { get; init; }

    /// <summary>Longest context the model supports.</summary>
    public int MaxPositions { get; init; } = 2048;

    /// <summary>RMSNorm epsilon.</summary>
    public float RmsEps { get; init; } = 1e-5f;

    /// <summary>RoPE base frequency.</summary>
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>rope_scaling, if any.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>How RoPE pairs dimensions, which depends on how the file stores Q/K.</summary>
    public RopeStyle RopeStyle { get; init; } = RopeStyle.Neox;

    /// <summary>Output projection shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Q/K/V projections have biases (Qwen2/2.5).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Per-head RMSNorm on Q and K before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Beginning-of-sequence token id, if the model has one.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence token ids (generation stops on any).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Width of the K (and V) rows of one position: KvHeads · HeadDim.</summary>
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Width of the Q rows of one position: Heads · HeadDim.</summary>
    public int QDim => Heads * HeadDim;

    /// <summary>Throws <see cref="InvalidDataException"/> when the numbers cannot describe a working model.</summary>
    public void Validate()
    {
        if (HiddenSize <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || HeadDim <= 0 || VocabSize <= 0 || IntermediateSize <= 0)
            throw new InvalidDataException($"model config is incomplete: hidden={HiddenSize} layers={Layers} heads={Heads} kv_heads={KvHeads} head_dim={HeadDim} vocab={VocabSize} intermediate={IntermediateSize}");
        if (Heads % KvHeads != 0)
            throw new InvalidDataException($"attention heads ({Heads}) must be a multiple of key/value heads ({KvHeads})");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"head_dim ({HeadDim}) must be even for RoPE");
    }
}
