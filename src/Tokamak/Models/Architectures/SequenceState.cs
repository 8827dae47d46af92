using Tokamak.Tensors;

namespace Tokamak.Models.Architectures;

/// <summary>Numeric precision of cached keys and values.</summary>
public enum KvPrecision
{
    /// <summary>Full F32 (exact).</summary>
    F32,
    /// <summary>
    /// Values rounded to F16 as llama.cpp's default F16 cache stores them, with llama.cpp's F16 attention numerics
    /// (see <see cref="CausalAttention.OneF16"/>). Used to reproduce llama.cpp logits to 1e-3.
    /// </summary>
    F16,
}

/// <summary>
/// Everything one sequence needs between forward calls: its contiguous KV cache and the activation scratch of one
/// chunk. Allocated once; the token path never allocates.
/// </summary>
public sealed class SequenceState : IDisposable
{
    private readonly NativeBuffer _k, _v;   // [layers, capacity, kvDim]
    private readonly NativeBuffer _scratch;

    /// <summary>Creates state for up to <paramref name="capacity"/> positions, computing up to <paramref name="maxChunk"/> tokens per call.</summary>
    public SequenceState(ModelConfig cfg, int capacity, int maxChunk = 128, KvPrecision precision = KvPrecision.F32)
    {
        Precision = precision;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "context capacity must be positive");
        Config = cfg;
        Capacity = capacity;
        MaxChunk = Math.Max(1, maxChunk);
        long kvFloats = (long)cfg.Layers * capacity * cfg.KvDim;
        _k = NativeBuffer.Floats(kvFloats);
        _v = NativeBuffer.Floats(kvFloats);
        int c = MaxChunk;
        XLen = c * cfg.HiddenSize;
        QLen = c * cfg.QDim;
        KvLen = c * cfg.KvDim;
        FfLen = c * cfg.IntermediateSize;
        // x, xb, xb2 [c, hidden]; q, att [c, qDim]; k, v [c, kvDim]; gate, up [c, ff]; logits [vocab]
        _scratch = NativeBuffer.Floats(3L * XLen + 2L * QLen + 2L * KvLen + 2L * FfLen + cfg.VocabSize);
    }

    /// <summary>How keys and values are rounded when cached.</summary>
    public KvPrecision Precision { get; }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Maximum number of positions the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Largest number of tokens computed in one forward call.</summary>
    public int MaxChunk { get; }

    /// <summary>Number of positions whose K/V are in the cache (the next token's position).</summary>
    public int Length { get; internal set; }

    /// <summary>Bytes held by the KV cache.</summary>
    public long KvBytes => _k.ByteLength + _v.ByteLength;

    internal int XLen { get; }
    internal int QLen { get; }
    internal int KvLen { get; }
    internal int FfLen { get; }

    /// <summary>Keys of one layer. [capacity, kvDim]</summary>
    internal Span<float> KeyCache(int layer) => _k.Floats((long)layer * Capacity * Config.KvDim, Capacity * Config.KvDim);

    /// <summary>Values of one layer. [capacity, kvDim]</summary>
    internal Span<float> ValueCache(int layer) => _v.Floats((long)layer * Capacity * Config.KvDim, Capacity * Config.KvDim);

    internal Span<float> X => _scratch.Floats(0, XLen);
    internal Span<float> Xb => _scratch.Floats(XLen, XLen);
    internal Span<float> Xb2 => _scratch.Floats(2L * XLen, XLen);
    internal Span<float> Q => _scratch.Floats(3L * XLen, QLen);
    internal Span<float> Att => _scratch.Floats(3L * XLen + QLen, QLen);
    internal Span<float> K => _scratch.Floats(3L * XLen + 2L * QLen, KvLen);
    internal Span<float> V => _scratch.Floats(3L * XLen + 2L * QLen + KvLen, KvLen);
    internal Span<float> Gate => _scratch.Floats(3L * XLen + 2L * QLen + 2L * KvLen, FfLen);
    internal Span<float> Up => _scratch.Floats(3L * XLen + 2L * QLen + 2L * KvLen + FfLen, FfLen);

    /// <summary>Logits of the last computed position. [vocab]</summary>
    public Span<float> Logits => _scratch.Floats(3L * XLen + 2L * QLen + 2L * KvLen + 2L * FfLen, Config.VocabSize);

    /// <summary>Forgets all cached positions (the memory is reused).</summary>
    public void Reset() => Length = 0;

    /// <summary>Drops cached positions from <paramref name="length"/> on, e.g. to reuse a shared prompt prefix.</summary>
    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);

    /// <inheritdoc />
    public void Dispose()
    {
        _k.Dispose();
        _v.Dispose();
        _scratch.Dispose();
    }
}
