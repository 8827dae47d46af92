using Tokamak.Models;
using Tokamak.Tensors;

namespace Tokamak.Engine;

/// <summary>
/// Activation scratch of the batched paged forward (<see cref="Models.Architectures.LlamaModel.ForwardPaged"/>),
/// sized for a token budget and a number of logits rows. Allocated once; grows (reallocates) only when a step
/// exceeds the sizes seen so far, so a warm engine runs steps without allocating. Not thread-safe.
/// </summary>
public sealed class PagedForwardState : IDisposable
{
    private readonly ModelConfig _cfg;
    private NativeBuffer _acts;   // x, xb, xb2 [T, hidden]; q, att [T, qDim]; k, v [T, kvDim]; gate, up [T, ff]; cos, sin [T, rot/2]
    private NativeBuffer _head;   // last hidden rows [R, hidden]; logits [R, vocab]

    /// <summary>Creates scratch for up to <paramref name="maxTokens"/> tokens and <paramref name="maxLogitRows"/> logits rows per step.</summary>
    public PagedForwardState(ModelConfig config, int maxTokens, int maxLogitRows)
    {
        ArgumentNullException.ThrowIfNull(config);
        _cfg = config;
        _acts = AllocActs(Math.Max(1, maxTokens));
        _head = AllocHead(Math.Max(1, maxLogitRows));
        MaxTokens = Math.Max(1, maxTokens);
        MaxLogitRows = Math.Max(1, maxLogitRows);
    }

    /// <summary>Tokens per step the scratch holds now.</summary>
    public int MaxTokens { get; private set; }

    /// <summary>Logits rows the scratch holds now.</summary>
    public int MaxLogitRows { get; private set; }

    /// <summary>Rows computed by the last forward.</summary>
    public int LogitRows { get; internal set; }

    /// <summary>Logits of row <paramref name="row"/> of the last forward (see <see cref="Kv.PagedBatch.Add"/>). [vocab]</summary>
    public Span<float> Logits(int row)
    {
        if ((uint)row >= (uint)LogitRows) throw new ArgumentOutOfRangeException(nameof(row), $"logits row {row} is outside 0..{LogitRows - 1}");
        return _head.Floats((long)MaxLogitRows * _cfg.HiddenSize + (long)row * _cfg.VocabSize, _cfg.VocabSize);
    }

    /// <summary>Grows the buffers to fit a step of <paramref name="tokens"/> tokens and <paramref name="logitRows"/> rows.</summary>
    public void EnsureCapacity(int tokens, int logitRows)
    {
        if (tokens > MaxTokens)
        {
            _acts.Dispose();
            MaxTokens = Math.Max(tokens, MaxTokens * 2);
            _acts = AllocActs(MaxTokens);
        }
        if (logitRows > MaxLogitRows)
        {
            _head.Dispose();
            MaxLogitRows = Math.Max(logitRows, MaxLogitRows * 2);
            _head = AllocHead(MaxLogitRows);
        }
    }

    private int Half => _cfg.HeadDim / 2;

    internal Span<float> X(int t) => Act(0, _cfg.HiddenSize, t);
    internal Span<float> Xb(int t) => Act(1, _cfg.HiddenSize, t);
    internal Span<float> Xb2(int t) => Act(2, _cfg.HiddenSize, t);
    internal Span<float> Q(int t) => ActAfter(3L * _cfg.HiddenSize, _cfg.QDim, t);
    internal Span<float> Att(int t) => ActAfter(3L * _cfg.HiddenSize + _cfg.QDim, _cfg.QDim, t);
    internal Span<float> K(int t) => ActAfter(3L * _cfg.HiddenSize + 2L * _cfg.QDim, _cfg.KvDim, t);
    internal Span<float> V(int t) => ActAfter(3L * _cfg.HiddenSize + 2L * _cfg.QDim + _cfg.KvDim, _cfg.KvDim, t);
    internal Span<float> Gate(int t) => ActAfter(FfBase, _cfg.IntermediateSize, t);
    internal Span<float> Up(int t) => ActAfter(FfBase + _cfg.IntermediateSize, _cfg.IntermediateSize, t);
    internal Span<float> Cos(int t) => ActAfter(FfBase + 2L * _cfg.IntermediateSize, Half, t);
    internal Span<float> Sin(int t) => ActAfter(FfBase + 2L * _cfg.IntermediateSize + Half, Half, t);

    /// <summary>Last-token hidden rows of the sequences that want logits. [rows, hidden]</summary>
    internal Span<float> Head(int rows) => _head.Floats(0, checked(rows * _cfg.HiddenSize));

    /// <summary>Logits of <paramref name="rows"/> rows. [rows, vocab]</summary>
    internal Span<float> AllLogits(int rows) => _head.Floats((long)MaxLogitRows * _cfg.HiddenSize, checked(rows * _cfg.VocabSize));

    private long FfBase => 3L * _cfg.HiddenSize + 2L * _cfg.QDim + 2L * _cfg.KvDim;
    private long PerToken => FfBase + 2L * _cfg.IntermediateSize + 2L * Half;

    // Each region is [MaxTokens, width]; regions follow each other in the order of the layout comment.
    private Span<float> Act(int index, int width, int t) => ActAfter((long)index * width, width, t);
    private Span<float> ActAfter(long perTokenOffset, int width, int t) => _acts.Floats(perTokenOffset * MaxTokens, checked(t * width));

    private NativeBuffer AllocActs(int tokens) => NativeBuffer.Floats(PerToken * tokens);
    private NativeBuffer AllocHead(int rows) => NativeBuffer.Floats((long)rows * (_cfg.HiddenSize + _cfg.VocabSize));

    /// <inheritdoc />
    public void Dispose()
    {
        _acts.Dispose();
        _head.Dispose();
    }
}
