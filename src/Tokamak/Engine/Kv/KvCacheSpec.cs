namespace Tokamak.Engine.Kv;

/// <summary>Element type of the paged KV cache.</summary>
public enum KvCacheDType
{
    /// <summary>IEEE binary32 keys and values (4 bytes per element).</summary>
    F32,
    /// <summary>
    /// Symmetric int8 with one F32 scale per (token, kv head): x ≈ scale·q, scale = max|x|/127 over the head's
    /// HeadDim elements, quantized when written (1 byte per element plus 4 bytes per head row).
    /// </summary>
    Int8,
}

/// <summary>
/// Geometry of the paged KV cache: how many layers, heads and head width one block holds and how many token slots a
/// block has. One block covers <see cref="BlockSize"/> consecutive positions of one sequence in every layer, for
/// both K and V, so a single block id addresses a token range across the whole model (as in vLLM).
/// </summary>
public sealed record KvCacheSpec
{
    /// <summary>Creates a spec; call <see cref="Validate"/> (the pool does) before use.</summary>
    public KvCacheSpec(int layers, int kvHeads, int headDim, int blockSize = 16, KvCacheDType dtype = KvCacheDType.F32)
    {
        Layers = layers;
        KvHeads = kvHeads;
        HeadDim = headDim;
        BlockSize = blockSize;
        DType = dtype;
    }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; init; }

    /// <summary>Key/value heads per layer.</summary>
    public int KvHeads { get; init; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; init; }

    /// <summary>Token slots per block (vLLM default 16).</summary>
    public int BlockSize { get; init; }

    /// <summary>Element type of K and V.</summary>
    public KvCacheDType DType { get; init; }

    /// <summary>Elements of one token's K (or V) in one layer: KvHeads · HeadDim.</summary>
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Elements of one block's K (or V) in one layer: <c>[BlockSize, KvHeads, HeadDim]</c>.</summary>
    public int BlockElements => BlockSize * KvDim;

    /// <summary>Bytes of one element.</summary>
    public int ElementBytes => DType switch
    {
        KvCacheDType.F32 => sizeof(float),
        KvCacheDType.Int8 => sizeof(sbyte),
        _ => throw new NotSupportedException($"KV cache dtype {DType} is not implemented"),
    };

    /// <summary>Scales of one block's K (or V) in one layer: <c>[BlockSize, KvHeads]</c> for int8, none for F32.</summary>
    public int BlockScales => DType == KvCacheDType.Int8 ? BlockSize * KvHeads : 0;

    /// <summary>Bytes one block takes across all layers, K and V (data plus scales).</summary>
    public long BytesPerBlock => (long)Layers * 2 * ((long)BlockElements * ElementBytes + (long)BlockScales * sizeof(float));

    /// <summary>Parses <c>f32</c> or <c>int8</c> (case-insensitive), as <c>--kv-cache-dtype</c> takes it.</summary>
    /// <exception cref="ArgumentException">Not a KV cache type.</exception>
    public static KvCacheDType ParseDType(string name) => name.Trim().ToLowerInvariant() switch
    {
        "f32" or "float32" or "auto" => KvCacheDType.F32,
        "int8" or "i8" => KvCacheDType.Int8,
        _ => throw new ArgumentException($"unknown KV cache dtype '{name}' (expected f32 or int8)"),
    };

    /// <summary>Blocks needed to hold <paramref name="tokens"/> positions (only the last block may be partly empty).</summary>
    public int BlocksForTokens(int tokens) => tokens <= 0 ? 0 : (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Throws <see cref="ArgumentException"/> when the numbers cannot describe a cache.</summary>
    public void Validate()
    {
        if (Layers <= 0 || KvHeads <= 0 || HeadDim <= 0)
            throw new ArgumentException($"KV cache spec needs positive layers, kv heads and head dim, got layers={Layers} kv_heads={KvHeads} head_dim={HeadDim}");
        if (BlockSize <= 0)
            throw new ArgumentException($"KV block size must be positive, got {BlockSize}");
        if (DType is not (KvCacheDType.F32 or KvCacheDType.Int8))
            throw new ArgumentException($"KV cache dtype {DType} is not implemented (F32 or Int8)");
    }
}
