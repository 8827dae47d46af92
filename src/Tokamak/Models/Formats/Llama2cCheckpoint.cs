using System.Buffers.Binary;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Formats;

/// <summary>
/// A llama2.c <c>run.c</c> checkpoint: seven int32 header fields (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size — negative when the classifier is not shared — and seq_len), then F32 weights in run.c's order.
/// The tensors are exposed under Hugging Face names so the loader treats all formats alike.
/// </summary>
public sealed unsafe class Llama2cCheckpoint : ITensorSource
{
    private readonly MappedFile _file;
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Opens <paramref name="path"/> and checks that its size matches its header.</summary>
    public Llama2cCheckpoint(string path)
    {
        _file = new MappedFile(path);
        try
        {
            Config = Parse();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The model shape from the header (rope interleaved, eps 1e-5, theta 10000 as run.c hard-codes).</summary>
    public ModelConfig Config { get; }

    /// <inheritdoc />
    public IEnumerable<string> Names => _order;

    /// <inheritdoc />
    public Tensor? Find(string name) => _tensors.GetValueOrDefault(name);

    private ModelConfig Parse()
    {
        string fileName = Path.GetFileName(_file.Path);
        if (_file.Length < 28) throw new InvalidDataException($"{fileName}: too short for a llama2.c checkpoint header");
        var h = _file.Bytes(0, 28);
        int dim = BinaryPrimitives.ReadInt32LittleEndian(h), hidden = BinaryPrimitives.ReadInt32LittleEndian(h[4..]),
            layers = BinaryPrimitives.ReadInt32LittleEndian(h[8..]), heads = BinaryPrimitives.ReadInt32LittleEndian(h[12..]),
            kvHeads = BinaryPrimitives.ReadInt32LittleEndian(h[16..]), vocab = BinaryPrimitives.ReadInt32LittleEndian(h[20..]),
            seqLen = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
        bool shared = vocab > 0;
        vocab = Math.Abs(vocab);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0 || dim % heads != 0
            || dim > 1 << 16 || hidden > 1 << 18 || layers > 1024 || vocab > 1 << 22)
            throw new InvalidDataException($"{fileName}: implausible llama2.c header (dim={dim} hidden={hidden} layers={layers} heads={heads} kv_heads={kvHeads} vocab={vocab} seq_len={seqLen})");
        int headDim = dim / heads, kvDim = kvHeads * headDim;
        long pos = 28;
        Tensor Take(string name, params long[] shape)
        {
            long n = 1;
            foreach (long d in shape) n *= d;
            _file.CheckRange(pos, n * 4);
            var t = new Tensor(name, DType.F32, shape, _file.Pointer + pos);
            pos += n * 4;
            _tensors[name] = t;
            _order.Add(name);
            return t;
        }
        void PerLayer(string suffix, params long[] shape)
        {
            for (int l = 0; l < layers; l++) Take($"model.layers.{l}.{suffix}", shape);
        }
        Take("model.embed_tokens.weight", vocab, dim);
        PerLayer("input_layernorm.weight", dim);
        PerLayer("self_attn.q_proj.weight", dim, dim);
        PerLayer("self_attn.k_proj.weight", kvDim, dim);
        PerLayer("self_attn.v_proj.weight", kvDim, dim);
        PerLayer("self_attn.o_proj.weight", dim, dim);
        PerLayer("post_attention_layernorm.weight", dim);
        PerLayer("mlp.gate_proj.weight", hidden, dim);
        PerLayer("mlp.down_proj.weight", dim, hidden);
        PerLayer("mlp.up_proj.weight", hidden, dim);
        Take("model.norm.weight", dim);
        pos += (long)seqLen * headDim * 4; // freq_cis_real [seq_len, head_dim/2] and freq_cis_imag: unused, RoPE is computed
        if (!shared) Take("lm_head.weight", vocab, dim);
        else _file.CheckRange(pos, 0);
        return new ModelConfig
        {
            Architecture = "llama2.c",
            HiddenSize = dim,
            IntermediateSize = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            MaxPositions = seqLen,
            RmsEps = 1e-5f,
            RopeTheta = 10000f,
            RopeStyle = RopeStyle.Interleaved,
            TieWordEmbeddings = shared,
            BosTokenId = 1,
            EosTokenIds = [],
        };
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
