using Tokamak.Models;
using Tokamak.Tensors.Kernels;
using Tokamak.Training.Layers;
using Tokamak.Training.Lora;

namespace Tokamak.Training;

/// <summary>
/// Trainable Llama-family decoder (pre-norm, GQA, RoPE, SwiGLU, optional tied embeddings and q/k/v bias) built
/// from the Forward/Backward layer pairs in <see cref="Layers"/>. Base parameters and gradients are flat float arrays
/// laid out by <see cref="Layout"/>. With LoRA the base is frozen and the adapters (plus the value head, if any)
/// live in a second flat array; <see cref="TrainableLayout"/>, <see cref="TrainableParameters"/> and
/// <see cref="TrainableGradients"/> always name what the optimizer updates. Call <see cref="Forward(TrainBatch)"/> then
/// <see cref="Backward(float)"/>; gradients accumulate until <see cref="ZeroGradients"/>.
/// </summary>
public sealed class LlamaTrainModel
{
    private readonly ParameterTensor _embed, _finalNorm;
    private readonly ParameterTensor? _lmHead;
    private readonly LlamaLayerTensors[] _layers;
    private readonly LoraPair?[,]? _lora; // [layers, 7]
    private readonly RopeLayer _rope;

    // Sized for the largest batch seen so far.
    private int _capacity;
    private float[][] _residual = [];            // [layers + 1][T, C]: input of each block, then the final residual
    private LlamaBlockActivations[] _blocks = []; // one per layer, or a single reused one with recomputation
    private float[] _lnF = [], _rstdF = [], _logits = [], _losses = [];
    private LlamaGradScratch? _grad;

    private TrainBatch? _batch;
    private bool _logitsValid;
    private int _counted, _lastTokens;

    /// <summary>Creates a full-parameter model with zeroed parameters; call <see cref="InitializeWeights"/> or load weights.</summary>
    /// <param name="config">Shape of the model.</param>
    /// <param name="recomputeActivations">Keep only each block's input in forward and recompute the block inside backward.</param>
    public LlamaTrainModel(ModelConfig config, bool recomputeActivations = false) : this(config, new TrainModelOptions(recomputeActivations)) { }

    /// <summary>Creates a model with zeroed parameters, LoRA adapters and value head as <paramref name="options"/> ask.</summary>
    public LlamaTrainModel(ModelConfig config, TrainModelOptions options)
    {
        config.Validate();
        if (config.QkNorm) throw new NotSupportedException("training with per-head Q/K norm (Qwen3) is not supported yet");
        Config = config;
        Options = options;
        ParameterLayout layout;
        (layout, _embed, _layers, _finalNorm, _lmHead) = ParameterLayout.ForLlama(config);
        Layout = layout;
        if (options.Lora is { } lora)
        {
            var trainable = new ParameterLayout();
            _lora = trainable.AddLora(config, lora);
            if (options.ValueHead) ValueHead = trainable.AddValueHead(config);
            TrainableLayout = trainable;
            Parameters = new float[checked((int)layout.TotalLength)];
            Gradients = [];
            TrainableParameters = new float[checked((int)trainable.TotalLength)];
            TrainableGradients = new float[TrainableParameters.Length];
        }
        else
        {
            if (options.ValueHead) ValueHead = layout.AddValueHead(config);
            TrainableLayout = layout;
            Parameters = new float[checked((int)layout.TotalLength)];
            Gradients = new float[Parameters.Length];
            TrainableParameters = Parameters;
            TrainableGradients = Gradients;
        }
        _rope = new RopeLayer(new RopeTable(config.HeadDim, config.RopeTheta, config.RopeScaling), config.MaxPositions, config.RopeStyle);
    }

    /// <summary>Model shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Construction options (recomputation, LoRA, value head).</summary>
    public TrainModelOptions Options { get; }

    /// <summary>Whether blocks are recomputed during backward instead of keeping their activations.</summary>
    public bool RecomputeActivations => Options.RecomputeActivations;

    /// <summary>LoRA settings, or null for full-parameter training.</summary>
    public LoraSettings? Lora => Options.Lora;

    /// <summary>Names, offsets, shapes and decay flags of the base parameters (and the value head without LoRA).</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Base parameters, flat.</summary>
    public float[] Parameters { get; }

    /// <summary>Base gradients, same layout as <see cref="Parameters"/>; empty when the base is frozen (LoRA).</summary>
    public float[] Gradients { get; }

    /// <summary>Layout of what training updates: <see cref="Layout"/>, or the LoRA adapters (+ value head).</summary>
    public ParameterLayout TrainableLayout { get; }

    /// <summary>The parameters training updates (the same array as <see cref="Parameters"/> without LoRA).</summary>
    public float[] TrainableParameters { get; }

    /// <summary>Gradients of <see cref="TrainableParameters"/>.</summary>
    public float[] TrainableGradients { get; }

    /// <summary>The reward head (<c>[1, hidden]</c> weight and <c>[1]</c> bias in <see cref="TrainableParameters"/>), if built.</summary>
    public (ParameterTensor Weight, ParameterTensor Bias)? ValueHead { get; }

    /// <summary>Whether dropout is active (training) or not (evaluation).</summary>
    public bool Training { get; set; } = true;

    /// <summary>Whether LoRA adapters take part in forward; off gives the frozen base model (DPO's reference).</summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>Seed of the dropout masks of the next forward/backward pair (set it per micro-batch for fresh masks).</summary>
    public ulong DropoutSeed { get; set; }

    /// <summary>Targets counted by the last <see cref="Forward(TrainBatch)"/> (non-ignored tokens).</summary>
    public int CountedTokens => _counted;

    /// <summary>Per-token losses of the last <see cref="Forward(TrainBatch)"/> (0 for ignored targets).</summary>
    public ReadOnlySpan<float> TokenLosses => _losses.AsSpan(0, _lastTokens);

    /// <summary>Logits <c>[T, vocab]</c> of the last <see cref="Forward(TrainBatch)"/>, valid until <see cref="Backward(float)"/>.</summary>
    public ReadOnlySpan<float> Logits => _logitsValid ? _logits.AsSpan(0, _lastTokens * Config.VocabSize) : throw new InvalidOperationException("logits are only valid between Forward and Backward");

    /// <summary>Bytes held by activation and gradient scratch buffers for the current capacity.</summary>
    public long ActivationBytes =>
        4L * (_residual.Sum(r => (long)r.Length) + _lnF.Length + _rstdF.Length + _logits.Length + _losses.Length)
        + _blocks.Sum(b => b.Bytes) + (_grad?.Bytes ?? 0);

    /// <summary>
    /// Normal(0, <paramref name="std"/>) for matrices, ones for norm weights, zeros for biases. Output projections
    /// (o_proj, down_proj) get std/√(2·layers), GPT-2 style, so the residual stream does not grow with depth.
    /// Also initializes the adapters (see <see cref="InitializeAdapters"/>).
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
        if (Lora is not null) InitializeAdapters(seed ^ 0x5DEECE66DUL);
    }

    /// <summary>
    /// PEFT's initialization: A uniform in ±1/√in (Kaiming-uniform with a = √5), B zero, so the adapted model starts
    /// equal to the base. A LoRA value head gets uniform ±1/√hidden weights and a zero bias.
    /// </summary>
    public void InitializeAdapters(ulong seed)
    {
        if (Lora is null) throw new InvalidOperationException("the model has no LoRA adapters");
        var rng = new TrainRng(seed);
        foreach (var t in TrainableLayout.Tensors)
        {
            var span = t.Of(TrainableParameters);
            if (t.Name.EndsWith(".lora_B.weight", StringComparison.Ordinal) || t.Shape.Length == 1) { span.Clear(); continue; }
            float bound = 1f / MathF.Sqrt(t.Shape[^1]);
            for (int i = 0; i < span.Length; i++) span[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        }
    }

    /// <summary>The adapter pair of (layer, module), or null when that projection is not adapted.</summary>
    public LoraPair? LoraOf(int layer, LoraModule module) => _lora?[layer, (int)module];

    /// <summary>The base weight tensor of (layer, module).</summary>
    public ParameterTensor ProjectionWeight(int layer, LoraModule module)
    {
        var w = _layers[layer];
        return module switch
        {
            LoraModule.Q => w.Wq,
            LoraModule.K => w.Wk,
            LoraModule.V => w.Wv,
            LoraModule.O => w.Wo,
            LoraModule.Gate => w.WGate,
            LoraModule.Up => w.WUp,
            _ => w.WDown,
        };
    }

    /// <summary>Sets all trainable gradients to zero.</summary>
    public void ZeroGradients() => Array.Clear(TrainableGradients);

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
        var hidden = ForwardHidden(batch);
        Linear.Forward(hidden, HeadWeight(Parameters), [], _logits, T, C, V, Options.Precision);
        var (sum, count) = CrossEntropy.Forward(_logits, batch.Targets, _losses, V);
        _counted = count;
        _logitsValid = true;
        return count == 0 ? float.NaN : (float)(sum / count);
    }

    /// <summary>
    /// Runs the decoder and the final norm only: returns the normed hidden states <c>[T, hidden]</c> (valid until the
    /// next forward). Follow with <see cref="BackwardHidden"/> for heads other than the LM head.
    /// </summary>
    public ReadOnlySpan<float> ForwardHidden(TrainBatch batch)
    {
        int T = batch.Tokens.Length, C = Config.HiddenSize;
        EnsureCapacity(T);
        _batch = batch;
        _logitsValid = false;
        _lastTokens = T;
        Embedding.Forward(batch.Tokens, _embed.Of(Parameters), _residual[0], C);
        for (int l = 0; l < Config.Layers; l++)
            BlockForward(l, Block(l), T);
        RmsNormLayer.Forward(_residual[Config.Layers], _finalNorm.Of(Parameters), _lnF, _rstdF, T, C, Config.RmsEps);
        return _lnF.AsSpan(0, T * C);
    }

    /// <summary>
    /// Adds <c>lossScale · ∂(mean loss)/∂θ</c> of the last <see cref="Forward(TrainBatch)"/> into the trainable gradients.
    /// For token-weighted accumulation over micro-batches pass <c>counted_i / Σ counted</c>.
    /// </summary>
    public void Backward(float lossScale = 1f)
    {
        var batch = RequireLogits();
        // Logits are not needed after this, so the gradient overwrites them.
        CrossEntropy.Backward(_logits, batch.Targets, _logits, _counted == 0 ? 0f : lossScale / _counted, Config.VocabSize);
        BackwardFromLogitGradient(batch);
    }

    /// <summary>
    /// Backward of <c>Σ_t scale[t] · loss[t]</c> over the last forward's per-token losses (DPO weights each sequence's
    /// log-probability differently). Ignored targets get no gradient whatever their scale.
    /// </summary>
    public void Backward(ReadOnlySpan<float> tokenScales)
    {
        var batch = RequireLogits();
        if (tokenScales.Length != batch.Tokens.Length) throw new ArgumentException($"{tokenScales.Length} token scales for {batch.Tokens.Length} tokens");
        CrossEntropy.Backward(_logits, batch.Targets, _logits, tokenScales, Config.VocabSize);
        BackwardFromLogitGradient(batch);
    }

    /// <summary>
    /// Adds the gradient of a loss whose derivative w.r.t. the normed hidden states of the last
    /// <see cref="ForwardHidden"/> is <paramref name="dHidden"/> <c>[T, hidden]</c>.
    /// </summary>
    public void BackwardHidden(ReadOnlySpan<float> dHidden)
    {
        var batch = _batch ?? throw new InvalidOperationException("BackwardHidden called before ForwardHidden");
        int T = batch.Tokens.Length, C = Config.HiddenSize;
        if (dHidden.Length != T * C) throw new ArgumentException($"hidden gradient holds {dHidden.Length} floats, expected [{T}, {C}]");
        dHidden.CopyTo(_grad!.DLn);
        BackwardFromNormGradient(batch);
    }

    private TrainBatch RequireLogits()
    {
        if (!_logitsValid) throw new InvalidOperationException("Backward needs a preceding Forward (logits are consumed by each backward)");
        _logitsValid = false;
        return _batch!;
    }

    private void BackwardFromLogitGradient(TrainBatch batch)
    {
        int T = batch.Tokens.Length, C = Config.HiddenSize, V = Config.VocabSize;
        var dLn = _grad!.DLn.AsSpan(0, T * C);
        dLn.Clear();
        Linear.Backward(_logits, _lnF, HeadWeight(Parameters), dLn, BaseFrozen ? [] : HeadWeight(Gradients), [], T, C, V, Options.Precision);
        BackwardFromNormGradient(batch);
    }

    // On entry g.DLn holds ∂L/∂(final norm output).
    private void BackwardFromNormGradient(TrainBatch batch)
    {
        int T = batch.Tokens.Length, C = Config.HiddenSize;
        var g = _grad!;
        var dRes = g.DRes.AsSpan(0, T * C);
        dRes.Clear();
        RmsNormLayer.Backward(g.DLn.AsSpan(0, T * C), _residual[Config.Layers], _finalNorm.Of(Parameters), _rstdF, dRes, BaseGrad(_finalNorm), T, C);
        for (int l = Config.Layers - 1; l >= 0; l--)
        {
            var a = Block(l);
            if (RecomputeActivations) BlockForward(l, a, T);
            BlockBackward(l, a, T);
        }
        if (!BaseFrozen) Embedding.Backward(batch.Tokens, dRes, _embed.Of(Gradients), C);
    }

    private bool BaseFrozen => Lora is not null;

    private Span<float> BaseGrad(ParameterTensor? t) => BaseFrozen || t is null ? [] : t.Of(Gradients);

    private Span<float> HeadWeight(float[] flat) => (_lmHead ?? _embed).Of(flat);

    private LlamaBlockActivations Block(int l) => RecomputeActivations ? _blocks[0] : _blocks[l];

    private ulong ModuleSeed(int l, LoraModule m) => DropoutSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(l * 8 + (int)m + 1));

    // y [T, out] = x [T, in] · Wᵀ (+ b) (+ LoRA), saving the adapter's activations in a.
    private void Project(int l, LoraModule m, float[] x, ParameterTensor w, ParameterTensor? b, Span<float> y, LlamaBlockActivations a, int T)
    {
        var (outDim, inDim) = ParameterLayout.ProjectionShape(Config, m);
        var P = Parameters;
        var pair = AdaptersEnabled ? _lora?[l, (int)m] : null;
        if (pair is null)
        {
            Linear.Forward(x, w.Of(P), b is null ? [] : b.Of(P), y, T, inDim, outDim, Options.Precision);
            return;
        }
        var s = Lora!;
        LoraLinear.Forward(x, w.Of(P), b is null ? [] : b.Of(P), pair.A.Of(TrainableParameters), pair.B.Of(TrainableParameters), s.Scale,
            Training ? s.Dropout : 0f, ModuleSeed(l, m), y, a.LoraX[(int)m], a.LoraH[(int)m], T, inDim, outDim, s.Rank, Options.Precision);
    }

    // Backward of Project: dx += ∂/∂x, and the trainable weight gradients.
    private void ProjectBack(int l, LoraModule m, ReadOnlySpan<float> dy, float[] x, ParameterTensor w, ParameterTensor? b, Span<float> dx, LlamaBlockActivations a, int T)
    {
        var (outDim, inDim) = ParameterLayout.ProjectionShape(Config, m);
        var pair = AdaptersEnabled ? _lora?[l, (int)m] : null;
        if (pair is null)
        {
            Linear.Backward(dy, x, w.Of(Parameters), dx, BaseGrad(w), BaseGrad(b), T, inDim, outDim, Options.Precision);
            return;
        }
        var s = Lora!;
        LoraLinear.Backward(dy, w.Of(Parameters), pair.A.Of(TrainableParameters), pair.B.Of(TrainableParameters), s.Scale,
            Training ? s.Dropout : 0f, ModuleSeed(l, m), a.LoraX[(int)m], a.LoraH[(int)m], dx,
            pair.A.Of(TrainableGradients), pair.B.Of(TrainableGradients), T, inDim, outDim, s.Rank, Options.Precision);
    }

    private void BlockForward(int l, LlamaBlockActivations a, int T)
    {
        var c = Config;
        var w = _layers[l];
        var P = Parameters;
        int C = c.HiddenSize, I = c.IntermediateSize;
        var x = _residual[l];
        var positions = _batch!.Sequences.Positions;
        RmsNormLayer.Forward(x, w.AttnNorm.Of(P), a.Ln1, a.Rstd1, T, C, c.RmsEps);
        Project(l, LoraModule.Q, a.Ln1, w.Wq, w.Bq, a.Q, a, T);
        Project(l, LoraModule.K, a.Ln1, w.Wk, w.Bk, a.K, a, T);
        Project(l, LoraModule.V, a.Ln1, w.Wv, w.Bv, a.V, a, T);
        _rope.Forward(a.Q.AsSpan(0, T * c.QDim), positions, c.Heads, c.HeadDim);
        _rope.Forward(a.K.AsSpan(0, T * c.KvDim), positions, c.KvHeads, c.HeadDim);
        CausalAttention.Forward(a.Q, a.K, a.V, _batch.Sequences, a.Att, a.Lse, c.Heads, c.KvHeads, c.HeadDim);
        Project(l, LoraModule.O, a.Att, w.Wo, null, a.XMid, a, T);
        Residual.Forward(a.XMid.AsSpan(0, T * C), x.AsSpan(0, T * C), a.XMid);
        RmsNormLayer.Forward(a.XMid, w.MlpNorm.Of(P), a.Ln2, a.Rstd2, T, C, c.RmsEps);
        var xOut = _residual[l + 1];
        Project(l, LoraModule.Gate, a.Ln2, w.WGate, null, a.Gate, a, T);
        Project(l, LoraModule.Up, a.Ln2, w.WUp, null, a.Up, a, T);
        SwiGlu.Forward(a.Gate.AsSpan(0, T * I), a.Up, a.H);
        Project(l, LoraModule.Down, a.H, w.WDown, null, xOut, a, T);
        Residual.Forward(xOut.AsSpan(0, T * C), a.XMid.AsSpan(0, T * C), xOut);
    }

    // On entry g.DRes holds ∂L/∂(block output); on exit ∂L/∂(block input). The residual branches pass the
    // gradient through unchanged, so each branch only adds its contribution into DRes.
    private void BlockBackward(int l, LlamaBlockActivations a, int T)
    {
        var c = Config;
        var w = _layers[l];
        var P = Parameters;
        var g = _grad!;
        int C = c.HiddenSize, I = c.IntermediateSize;
        var positions = _batch!.Sequences.Positions;
        var dRes = g.DRes.AsSpan(0, T * C);
        var dLn = g.DLn.AsSpan(0, T * C);

        // MLP: [T, 3, I] scratch for dh, dGate, dUp.
        var dh = g.Mlp.AsSpan(0, T * I);
        var dGate = g.Mlp.AsSpan(T * I, T * I);
        var dUp = g.Mlp.AsSpan(2 * T * I, T * I);
        g.Mlp.AsSpan(0, 3 * T * I).Clear();
        dLn.Clear();
        ProjectBack(l, LoraModule.Down, dRes, a.H, w.WDown, null, dh, a, T);
        SwiGlu.Backward(dh, a.Gate.AsSpan(0, T * I), a.Up, dGate, dUp);
        ProjectBack(l, LoraModule.Gate, dGate, a.Ln2, w.WGate, null, dLn, a, T);
        ProjectBack(l, LoraModule.Up, dUp, a.Ln2, w.WUp, null, dLn, a, T);
        RmsNormLayer.Backward(dLn, a.XMid, w.MlpNorm.Of(P), a.Rstd2, dRes, BaseGrad(w.MlpNorm), T, C);

        var dAtt = g.DAtt.AsSpan(0, T * c.QDim);
        var dQ = g.DQ.AsSpan(0, T * c.QDim);
        var dK = g.DK.AsSpan(0, T * c.KvDim);
        var dV = g.DV.AsSpan(0, T * c.KvDim);
        dAtt.Clear(); dQ.Clear(); dK.Clear(); dV.Clear();
        ProjectBack(l, LoraModule.O, dRes, a.Att, w.Wo, null, dAtt, a, T);
        CausalAttention.Backward(dAtt, a.Q, a.K, a.V, a.Att, a.Lse, _batch.Sequences, dQ, dK, dV, c.Heads, c.KvHeads, c.HeadDim);
        _rope.Backward(dQ, positions, c.Heads, c.HeadDim);
        _rope.Backward(dK, positions, c.KvHeads, c.HeadDim);
        dLn.Clear();
        ProjectBack(l, LoraModule.Q, dQ, a.Ln1, w.Wq, w.Bq, dLn, a, T);
        ProjectBack(l, LoraModule.K, dK, a.Ln1, w.Wk, w.Bk, dLn, a, T);
        ProjectBack(l, LoraModule.V, dV, a.Ln1, w.Wv, w.Bv, dLn, a, T);
        RmsNormLayer.Backward(dLn, _residual[l], w.AttnNorm.Of(P), a.Rstd1, dRes, BaseGrad(w.AttnNorm), T, C);
    }

    private void EnsureCapacity(int T)
    {
        if (T <= _capacity) return;
        var c = Config;
        int C = c.HiddenSize;
        if ((long)T * c.VocabSize > int.MaxValue) throw new ArgumentException($"{T} tokens × vocab {c.VocabSize} logits exceed 2^31 floats; use smaller micro-batches");
        _residual = new float[c.Layers + 1][];
        for (int i = 0; i <= c.Layers; i++) _residual[i] = new float[T * C];
        _blocks = new LlamaBlockActivations[RecomputeActivations ? 1 : c.Layers];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new LlamaBlockActivations(c, T, Lora);
        _lnF = new float[T * C];
        _rstdF = new float[T];
        _logits = new float[T * c.VocabSize];
        _losses = new float[T];
        _grad = new LlamaGradScratch(c, T);
        _capacity = T;
    }
}
