using Tokamak.Models;
using Tokamak.Tensors.Kernels;
using Tokamak.Training.Layers;

namespace Tokamak.Training;

/// <summary>
/// Trainable Llama-family decoder (pre-norm, GQA, RoPE, SwiGLU, optional tied embeddings and q/k/v bias) built
/// from the Forward/Backward layer pairs in <see cref="Layers"/>. Parameters and gradients are two flat float arrays
/// laid out by <see cref="Layout"/>. Call <see cref="Forward(TrainBatch)"/> then <see cref="Backward"/>; gradients accumulate
/// until <see cref="ZeroGradients"/>.
/// </summary>
public sealed class LlamaTrainModel
{
    private readonly ParameterTensor _embed, _finalNorm;
    private readonly ParameterTensor? _lmHead;
    private readonly LlamaLayerTensors[] _layers;
    private readonly RopeLayer _rope;

    // Sized for the largest batch seen so far.
    private int _capacity;
    private float[][] _residual = [];            // [layers + 1][T, C]: input of each block, then the final residual
    private LlamaBlockActivations[] _blocks = []; // one per layer, or a single reused one with recomputation
    private float[] _lnF = [], _rstdF = [], _logits = [], _losses = [];
    private LlamaGradScratch? _grad;

    private TrainBatch? _batch;
    private int _counted, _lastTokens;

    /// <summary>Creates a model with zeroed parameters; call <see cref="InitializeWeights"/> or load a checkpoint.</summary>
    /// <param name="config">Shape of the model.</param>
    /// <param name="recomputeActivations">Keep only each block's input in forward and recompute the block inside backward.</param>
    public LlamaTrainModel(ModelConfig config, bool recomputeActivations = false)
    {
        config.Validate();
        if (config.QkNorm) throw new NotSupportedException("training with per-head Q/K norm (Qwen3) is not supported yet");
        Config = config;
        RecomputeActivations = recomputeActivations;
        ParameterLayout layout;
        (layout, _embed, _layers, _finalNorm, _lmHead) = ParameterLayout.ForLlama(config);
        Layout = layout;
        Parameters = new float[checked((int)layout.TotalLength)];
        Gradients = new float[Parameters.Length];
        _rope = new RopeLayer(new RopeTable(config.HeadDim, config.RopeTheta, config.RopeScaling), config.MaxPositions, config.RopeStyle);
    }

    /// <summary>Model shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Whether blocks are recomputed during backward instead of keeping their activations.</summary>
    public bool RecomputeActivations { get; }

    /// <summary>Names, offsets, shapes and decay flags of the parameters.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All parameters, flat.</summary>
    public float[] Parameters { get; }

    /// <summary>All gradients, flat, same layout as <see cref="Parameters"/>.</summary>
    public float[] Gradients { get; }

    /// <summary>Targets counted by the last <see cref="Forward(TrainBatch)"/> (non-ignored tokens).</summary>
    public int CountedTokens => _counted;

    /// <summary>Per-token losses of the last <see cref="Forward(TrainBatch)"/> (0 for ignored targets).</summary>
    public ReadOnlySpan<float> TokenLosses => _losses.AsSpan(0, _lastTokens);

    /// <summary>Bytes held by activation and gradient scratch buffers for the current capacity.</summary>
    public long ActivationBytes =>
        4L * (_residual.Sum(r => (long)r.Length) + _lnF.Length + _rstdF.Length + _logits.Length + _losses.Length)
        + _blocks.Sum(b => b.Bytes) + (_grad?.Bytes ?? 0);

    /// <summary>
    /// Normal(0, <paramref name="std"/>) for matrices, ones for norm weights, zeros for biases. Output projections
    /// (o_proj, down_proj) get std/√(2·layers), GPT-2 style, so the residual stream does not grow with depth.
    /// </summary>
    public void InitializeWeights(ulong seed, float std = 0.02f)
    {
        var rng = new TrainRng(seed);
        float residualStd = std / MathF.Sqrt(2f * Config.Layers);
        foreach (var t in Layout.Tensors)
        {
            var span = t.Of(Parameters);
            if (t.Shape.Length == 1) { span.Fill(t.Name.EndsWith(".bias", StringComparison.Ordinal) ? 0f : 1f); continue; }
            float s = t.Name.EndsWith("o_proj.weight", StringComparison.Ordinal) || t.Name.EndsWith("down_proj.weight", StringComparison.Ordinal) ? residualStd : std;
            for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextGaussian() * s);
        }
    }

    /// <summary>Sets all gradients to zero.</summary>
    public void ZeroGradients() => Array.Clear(Gradients);

    /// <summary>
    /// Convenience form of <see cref="Forward(TrainBatch)"/>: <paramref name="sequenceIds"/> <c>[T]</c> marks which packed
    /// sequence each token belongs to (contiguous runs); positions restart at each run.
    /// </summary>
    public float Forward(int[] tokens, int[] sequenceIds, int[] targets) =>
        Forward(new TrainBatch(tokens, targets, PackedSequences.FromSequenceIds(sequenceIds)));

    /// <summary>Runs the model on <paramref name="batch"/> and returns the mean cross-entropy over counted targets (NaN if none count).</summary>
    public float Forward(TrainBatch batch)
    {
        int T = batch.Tokens.Length, C = Config.HiddenSize, V = Config.VocabSize;
        EnsureCapacity(T);
        _batch = batch;
        Embedding.Forward(batch.Tokens, _embed.Of(Parameters), _residual[0], C);
        for (int l = 0; l < Config.Layers; l++)
            BlockForward(l, Block(l), T);
        var xL = _residual[Config.Layers];
        RmsNormLayer.Forward(xL, _finalNorm.Of(Parameters), _lnF, _rstdF, T, C, Config.RmsEps);
        Linear.Forward(_lnF, HeadWeight(Parameters), [], _logits, T, C, V);
        var (sum, count) = CrossEntropy.Forward(_logits, batch.Targets, _losses, V);
        _counted = count;
        _lastTokens = T;
        return count == 0 ? float.NaN : (float)(sum / count);
    }

    /// <summary>
    /// Adds <c>lossScale · ∂(mean loss)/∂θ</c> of the last <see cref="Forward(TrainBatch)"/> into <see cref="Gradients"/>.
    /// For token-weighted accumulation over micro-batches pass <c>counted_i / Σ counted</c>.
    /// </summary>
    public void Backward(float lossScale = 1f)
    {
        var batch = _batch ?? throw new InvalidOperationException("Backward called before Forward");
        int T = batch.Tokens.Length, C = Config.HiddenSize, V = Config.VocabSize;
        var g = _grad!;
        // Logits are not needed after this, so the gradient overwrites them.
        CrossEntropy.Backward(_logits, batch.Targets, _logits, _counted == 0 ? 0f : lossScale / _counted, V);
        var dRes = g.DRes.AsSpan(0, T * C);
        var dLn = g.DLn.AsSpan(0, T * C);
        dRes.Clear(); dLn.Clear();
        Linear.Backward(_logits, _lnF, HeadWeight(Parameters), dLn, HeadWeight(Gradients), [], T, C, V);
        RmsNormLayer.Backward(dLn, _residual[Config.Layers], _finalNorm.Of(Parameters), _rstdF, dRes, _finalNorm.Of(Gradients), T, C);
        for (int l = Config.Layers - 1; l >= 0; l--)
        {
            var a = Block(l);
            if (RecomputeActivations) BlockForward(l, a, T);
            BlockBackward(l, a, T);
        }
        Embedding.Backward(batch.Tokens, dRes, _embed.Of(Gradients), C);
        _batch = null; // logits were consumed
    }

    private Span<float> HeadWeight(float[] flat) => (_lmHead ?? _embed).Of(flat);

    private LlamaBlockActivations Block(int l) => RecomputeActivations ? _blocks[0] : _blocks[l];

    private void BlockForward(int l, LlamaBlockActivations a, int T)
    {
        var c = Config;
        var w = _layers[l];
        var P = Parameters;
        int C = c.HiddenSize, I = c.IntermediateSize;
        var x = _residual[l];
        var positions = _batch!.Sequences.Positions;
        RmsNormLayer.Forward(x, w.AttnNorm.Of(P), a.Ln1, a.Rstd1, T, C, c.RmsEps);
        Linear.Forward(a.Ln1, w.Wq.Of(P), w.Bq is null ? [] : w.Bq.Of(P), a.Q, T, C, c.QDim);
        Linear.Forward(a.Ln1, w.Wk.Of(P), w.Bk is null ? [] : w.Bk.Of(P), a.K, T, C, c.KvDim);
        Linear.Forward(a.Ln1, w.Wv.Of(P), w.Bv is null ? [] : w.Bv.Of(P), a.V, T, C, c.KvDim);
        _rope.Forward(a.Q.AsSpan(0, T * c.QDim), positions, c.Heads, c.HeadDim);
        _rope.Forward(a.K.AsSpan(0, T * c.KvDim), positions, c.KvHeads, c.HeadDim);
        CausalAttention.Forward(a.Q, a.K, a.V, _batch.Sequences, a.Att, a.Lse, c.Heads, c.KvHeads, c.HeadDim);
        Linear.Forward(a.Att, w.Wo.Of(P), [], a.XMid, T, c.QDim, C);
        Residual.Forward(a.XMid.AsSpan(0, T * C), x.AsSpan(0, T * C), a.XMid);
        RmsNormLayer.Forward(a.XMid, w.MlpNorm.Of(P), a.Ln2, a.Rstd2, T, C, c.RmsEps);
        var xOut = _residual[l + 1];
        SwiGluMlp.Forward(a.Ln2, w.WGate.Of(P), w.WUp.Of(P), w.WDown.Of(P), xOut, a.Gate, a.Up, a.H, T, C, I);
        Residual.Forward(xOut.AsSpan(0, T * C), a.XMid.AsSpan(0, T * C), xOut);
    }

    // On entry g.DRes holds ∂L/∂(block output); on exit ∂L/∂(block input). The residual branches pass the
    // gradient through unchanged, so each branch only adds its contribution into DRes.
    private void BlockBackward(int l, LlamaBlockActivations a, int T)
    {
        var c = Config;
        var w = _layers[l];
        var P = Parameters;
        var G = Gradients;
        var g = _grad!;
        int C = c.HiddenSize, I = c.IntermediateSize;
        var positions = _batch!.Sequences.Positions;
        var dRes = g.DRes.AsSpan(0, T * C);
        var dLn = g.DLn.AsSpan(0, T * C);

        dLn.Clear();
        SwiGluMlp.Backward(dRes, a.Ln2, w.WGate.Of(P), w.WUp.Of(P), w.WDown.Of(P), a.Gate, a.Up, a.H,
            dLn, w.WGate.Of(G), w.WUp.Of(G), w.WDown.Of(G), g.Mlp, T, C, I);
        RmsNormLayer.Backward(dLn, a.XMid, w.MlpNorm.Of(P), a.Rstd2, dRes, w.MlpNorm.Of(G), T, C);

        var dAtt = g.DAtt.AsSpan(0, T * c.QDim);
        var dQ = g.DQ.AsSpan(0, T * c.QDim);
        var dK = g.DK.AsSpan(0, T * c.KvDim);
        var dV = g.DV.AsSpan(0, T * c.KvDim);
        dAtt.Clear(); dQ.Clear(); dK.Clear(); dV.Clear();
        Linear.Backward(dRes, a.Att, w.Wo.Of(P), dAtt, w.Wo.Of(G), [], T, c.QDim, C);
        CausalAttention.Backward(dAtt, a.Q, a.K, a.V, a.Att, a.Lse, _batch.Sequences, dQ, dK, dV, c.Heads, c.KvHeads, c.HeadDim);
        _rope.Backward(dQ, positions, c.Heads, c.HeadDim);
        _rope.Backward(dK, positions, c.KvHeads, c.HeadDim);
        dLn.Clear();
        Linear.Backward(dQ, a.Ln1, w.Wq.Of(P), dLn, w.Wq.Of(G), w.Bq is null ? [] : w.Bq.Of(G), T, C, c.QDim);
        Linear.Backward(dK, a.Ln1, w.Wk.Of(P), dLn, w.Wk.Of(G), w.Bk is null ? [] : w.Bk.Of(G), T, C, c.KvDim);
        Linear.Backward(dV, a.Ln1, w.Wv.Of(P), dLn, w.Wv.Of(G), w.Bv is null ? [] : w.Bv.Of(G), T, C, c.KvDim);
        RmsNormLayer.Backward(dLn, _residual[l], w.AttnNorm.Of(P), a.Rstd1, dRes, w.AttnNorm.Of(G), T, C);
    }

    private void EnsureCapacity(int T)
    {
        if (T <= _capacity) return;
        var c = Config;
        int C = c.HiddenSize;
        _residual = new float[c.Layers + 1][];
        for (int i = 0; i <= c.Layers; i++) _residual[i] = new float[T * C];
        _blocks = new LlamaBlockActivations[RecomputeActivations ? 1 : c.Layers];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new LlamaBlockActivations(c, T);
        _lnF = new float[T * C];
        _rstdF = new float[T];
        _logits = new float[(long)T * c.VocabSize > int.MaxValue ? throw new ArgumentException($"{T} tokens × vocab {c.VocabSize} logits exceed 2^31 floats; use smaller micro-batches") : T * c.VocabSize];
        _losses = new float[T];
        _grad = new LlamaGradScratch(c, T);
        _capacity = T;
    }
}
