using System.Numerics.Tensors;
using Tokamak.Tensors;

namespace Tokamak.Engine.Kv;

/// <summary>
/// The fixed pool of KV blocks, one <see cref="NativeBuffer"/> allocated once at start-up.
/// <para>Layout (F32): for each layer <c>l</c>, K then V, each a contiguous region
/// <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>; so the whole buffer is
/// <c>[Layers, 2, NumBlocks, BlockSize, KvHeads, HeadDim]</c>. A token at slot <c>s</c> of block <c>b</c> has its
/// K row for kv head <c>h</c> at float offset <c>((l·2 + 0)·NumBlocks + b)·BlockElements + (s·KvHeads + h)·HeadDim</c>.
/// Keeping one region per (layer, K|V) lets the attention kernel walk a layer's blocks with one base pointer.</para>
/// <para>Layout (Int8): the same shape in sbyte, <c>[Layers, 2, NumBlocks, BlockSize, KvHeads, HeadDim]</c>, followed
/// (64-byte aligned) by the F32 scales <c>[Layers, 2, NumBlocks, BlockSize, KvHeads]</c>: one per token and kv head,
/// so a value is <c>scale[l, kv, b, s, h] · q[l, kv, b, s, h, d]</c>. Rows are quantized as they are written
/// (<see cref="Write"/>, <see cref="WriteAt"/>); <see cref="CopyBlock"/> copies data and scales, so copy-on-write
/// and prefix sharing see exactly the bytes the first writer stored.</para>
/// <para>The pool holds data only; which block belongs to whom is the <see cref="BlockPool"/>'s business.</para>
/// </summary>
public sealed unsafe class KvPool : IDisposable
{
    private readonly NativeBuffer _buffer;
    private readonly long _scaleOffset; // bytes from the buffer start to the int8 scale region

    /// <summary>Allocates a zeroed pool of <paramref name="numBlocks"/> blocks.</summary>
    public KvPool(KvCacheSpec spec, int numBlocks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (numBlocks <= 0) throw new ArgumentException($"KV pool needs at least one block, got {numBlocks}");
        Spec = spec;
        NumBlocks = numBlocks;
        long data = checked((long)spec.Layers * 2 * numBlocks * spec.BlockElements * spec.ElementBytes);
        _scaleOffset = (data + 63) & ~63L;
        long scales = (long)spec.Layers * 2 * numBlocks * spec.BlockScales * sizeof(float);
        _buffer = new NativeBuffer(checked(spec.BlockScales > 0 ? _scaleOffset + scales : data));
    }

    /// <summary>
    /// How many blocks fit in <paramref name="budgetBytes"/> bytes for <paramref name="spec"/> (floor). Throws when
    /// not even one block fits, so a misconfigured budget fails at start-up rather than on the first request.
    /// </summary>
    public static int BlocksForBudget(long budgetBytes, KvCacheSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        long blocks = budgetBytes / spec.BytesPerBlock;
        if (blocks < 1)
            throw new ArgumentException($"KV cache budget of {budgetBytes} bytes is smaller than one block ({spec.BytesPerBlock} bytes)");
        return (int)Math.Min(blocks, int.MaxValue);
    }

    /// <summary>Geometry.</summary>
    public KvCacheSpec Spec { get; }

    /// <summary>Number of physical blocks.</summary>
    public int NumBlocks { get; }

    /// <summary>Bytes allocated.</summary>
    public long ByteLength => _buffer.ByteLength;

    /// <summary>Whether the pool stores int8 with scales (<see cref="KvCacheDType.Int8"/>).</summary>
    public bool IsInt8 => Spec.DType == KvCacheDType.Int8;

    /// <summary>Base of layer <paramref name="layer"/>'s F32 K region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public float* KeyBase(int layer) => (float*)Region(layer, 0, KvCacheDType.F32);

    /// <summary>Base of layer <paramref name="layer"/>'s F32 V region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public float* ValueBase(int layer) => (float*)Region(layer, 1, KvCacheDType.F32);

    /// <summary>Base of layer <paramref name="layer"/>'s int8 K region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public sbyte* KeyBase8(int layer) => (sbyte*)Region(layer, 0, KvCacheDType.Int8);

    /// <summary>Base of layer <paramref name="layer"/>'s int8 V region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public sbyte* ValueBase8(int layer) => (sbyte*)Region(layer, 1, KvCacheDType.Int8);

    /// <summary>Base of layer <paramref name="layer"/>'s K scales <c>[NumBlocks, BlockSize, KvHeads]</c> (int8 pools).</summary>
    public float* KeyScaleBase(int layer) => ScaleRegion(layer, 0);

    /// <summary>Base of layer <paramref name="layer"/>'s V scales <c>[NumBlocks, BlockSize, KvHeads]</c> (int8 pools).</summary>
    public float* ValueScaleBase(int layer) => ScaleRegion(layer, 1);

    /// <summary>K of one token slot as floats <c>[KvHeads, HeadDim]</c> (dequantized for int8) into <paramref name="destination"/>.</summary>
    public void ReadKey(int layer, int block, int slot, Span<float> destination) => ReadRow(layer, 0, block, slot, destination);

    /// <summary>V of one token slot as floats <c>[KvHeads, HeadDim]</c> (dequantized for int8) into <paramref name="destination"/>.</summary>
    public void ReadValue(int layer, int block, int slot, Span<float> destination) => ReadRow(layer, 1, block, slot, destination);

    /// <summary>K of one block in one layer: <c>[BlockSize, KvHeads, HeadDim]</c>.</summary>
    public Span<float> KeyBlock(int layer, int block) => new(KeyBase(layer) + BlockOffset(block), Spec.BlockElements);

    /// <summary>V of one block in one layer: <c>[BlockSize, KvHeads, HeadDim]</c>.</summary>
    public Span<float> ValueBlock(int layer, int block) => new(ValueBase(layer) + BlockOffset(block), Spec.BlockElements);

    /// <summary>K of one token slot: <c>[KvHeads, HeadDim]</c>.</summary>
    public Span<float> KeyRow(int layer, int block, int slot) =>
        new(KeyBase(layer) + BlockOffset(block) + (long)CheckSlot(slot) * Spec.KvDim, Spec.KvDim);

    /// <summary>V of one token slot: <c>[KvHeads, HeadDim]</c>.</summary>
    public Span<float> ValueRow(int layer, int block, int slot) =>
        new(ValueBase(layer) + BlockOffset(block) + (long)CheckSlot(slot) * Spec.KvDim, Spec.KvDim);

    /// <summary>
    /// Stores K and V for consecutive positions starting at <paramref name="startPosition"/>
    /// of the sequence whose blocks are <paramref name="table"/>. <paramref name="keys"/> and
    /// <paramref name="values"/> are <c>[count, KvHeads · HeadDim]</c>. The table must already cover the positions
    /// (<see cref="BlockTable.NumTokens"/> ≥ start + count) and the blocks must be writable (see
    /// <see cref="BlockPool.EnsureWritable"/>).
    /// </summary>
    public void Write(int layer, BlockTable table, int startPosition, ReadOnlySpan<float> keys, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(table);
        int kvDim = Spec.KvDim;
        if (keys.Length != values.Length || keys.Length % kvDim != 0)
            throw new ArgumentException($"K and V must both be [count, {kvDim}], got {keys.Length} and {values.Length} floats");
        int count = keys.Length / kvDim;
        if (startPosition < 0 || startPosition + count > table.NumTokens)
            throw new ArgumentOutOfRangeException(nameof(startPosition), $"positions {startPosition}..{startPosition + count - 1} are outside the block table ({table.NumTokens} slots)");
        for (int i = 0; i < count; i++)
        {
            int pos = startPosition + i;
            int block = table[pos / Spec.BlockSize], slot = pos % Spec.BlockSize;
            StoreRow(layer, 0, block, slot, keys.Slice(i * kvDim, kvDim));
            StoreRow(layer, 1, block, slot, values.Slice(i * kvDim, kvDim));
        }
    }

    /// <summary>
    /// Same as <see cref="Write(int, BlockTable, int, ReadOnlySpan{float}, ReadOnlySpan{float})"/> with the table given as
    /// physical block ids in logical order (as a <see cref="PagedBatch"/> holds them).
    /// </summary>
    public void WriteAt(int layer, ReadOnlySpan<int> blockTable, int startPosition, ReadOnlySpan<float> keys, ReadOnlySpan<float> values)
    {
        int kvDim = Spec.KvDim;
        if (keys.Length != values.Length || keys.Length % kvDim != 0)
            throw new ArgumentException($"K and V must both be [count, {kvDim}], got {keys.Length} and {values.Length} floats");
        int count = keys.Length / kvDim;
        if (startPosition < 0 || (long)startPosition + count > (long)blockTable.Length * Spec.BlockSize)
            throw new ArgumentOutOfRangeException(nameof(startPosition), $"positions {startPosition}..{startPosition + count - 1} are outside the block table ({blockTable.Length} blocks)");
        for (int i = 0; i < count; i++)
        {
            int pos = startPosition + i;
            int block = blockTable[pos / Spec.BlockSize], slot = pos % Spec.BlockSize;
            StoreRow(layer, 0, block, slot, keys.Slice(i * kvDim, kvDim));
            StoreRow(layer, 1, block, slot, values.Slice(i * kvDim, kvDim));
        }
    }

    /// <summary>Copies block <paramref name="source"/> into <paramref name="destination"/> in every layer (copy-on-write).</summary>
    public void CopyBlock(int source, int destination)
    {
        long blockBytes = (long)Spec.BlockElements * Spec.ElementBytes, scaleCount = Spec.BlockScales;
        BlockOffset(source);
        BlockOffset(destination);
        for (int l = 0; l < Spec.Layers; l++)
            for (int kv = 0; kv < 2; kv++)
            {
                byte* region = Region(l, kv, Spec.DType);
                new ReadOnlySpan<byte>(region + source * blockBytes, (int)blockBytes).CopyTo(new Span<byte>(region + destination * blockBytes, (int)blockBytes));
                if (scaleCount == 0) continue;
                float* sc = ScaleRegion(l, kv);
                new ReadOnlySpan<float>(sc + source * scaleCount, (int)scaleCount).CopyTo(new Span<float>(sc + destination * scaleCount, (int)scaleCount));
            }
    }

    /// <summary>
    /// Symmetric int8 of one head row: scale = max|x|/127 (0 for an all-zero row), q = round(x/scale). The reference
    /// the attention tests dequantize against.
    /// </summary>
    public static float QuantizeRow(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = TensorPrimitives.MaxMagnitude(x);
        amax = MathF.Abs(amax);
        if (!(amax > 0))
        {
            q.Clear();
            return 0;
        }
        float scale = amax / 127f, inv = 127f / amax;
        for (int d = 0; d < x.Length; d++) q[d] = (sbyte)Math.Clamp(MathF.Round(x[d] * inv), -127f, 127f);
        return scale;
    }

    private void StoreRow(int layer, int kv, int block, int slot, ReadOnlySpan<float> row)
    {
        long off = BlockOffset(block) + (long)CheckSlot(slot) * Spec.KvDim;
        if (!IsInt8)
        {
            row.CopyTo(new Span<float>((float*)Region(layer, kv, KvCacheDType.F32) + off, Spec.KvDim));
            return;
        }
        sbyte* data = (sbyte*)Region(layer, kv, KvCacheDType.Int8) + off;
        float* scales = ScaleRegion(layer, kv) + ((long)block * Spec.BlockSize + slot) * Spec.KvHeads;
        int hd = Spec.HeadDim;
        for (int h = 0; h < Spec.KvHeads; h++)
            scales[h] = QuantizeRow(row.Slice(h * hd, hd), new Span<sbyte>(data + h * hd, hd));
    }

    private void ReadRow(int layer, int kv, int block, int slot, Span<float> destination)
    {
        if (destination.Length < Spec.KvDim) throw new ArgumentException($"destination holds {destination.Length} floats, a row is {Spec.KvDim}");
        long off = BlockOffset(block) + (long)CheckSlot(slot) * Spec.KvDim;
        if (!IsInt8)
        {
            new ReadOnlySpan<float>((float*)Region(layer, kv, KvCacheDType.F32) + off, Spec.KvDim).CopyTo(destination);
            return;
        }
        sbyte* data = (sbyte*)Region(layer, kv, KvCacheDType.Int8) + off;
        float* scales = ScaleRegion(layer, kv) + ((long)block * Spec.BlockSize + slot) * Spec.KvHeads;
        int hd = Spec.HeadDim;
        for (int h = 0; h < Spec.KvHeads; h++)
            for (int d = 0; d < hd; d++) destination[h * hd + d] = scales[h] * data[h * hd + d];
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();

    private byte* Region(int layer, int kv, KvCacheDType want)
    {
        if ((uint)layer >= (uint)Spec.Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{Spec.Layers - 1}");
        if (Spec.DType != want) throw new InvalidOperationException($"the KV pool stores {Spec.DType}, not {want}");
        return _buffer.Pointer + ((long)layer * 2 + kv) * NumBlocks * Spec.BlockElements * Spec.ElementBytes;
    }

    private float* ScaleRegion(int layer, int kv)
    {
        if ((uint)layer >= (uint)Spec.Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{Spec.Layers - 1}");
        if (!IsInt8) throw new InvalidOperationException("an F32 KV pool has no scales");
        return (float*)(_buffer.Pointer + _scaleOffset) + ((long)layer * 2 + kv) * NumBlocks * Spec.BlockScales;
    }

    private long BlockOffset(int block)
    {
        if ((uint)block >= (uint)NumBlocks)
            throw new ArgumentOutOfRangeException(nameof(block), $"block {block} is outside 0..{NumBlocks - 1}");
        return (long)block * Spec.BlockElements;
    }

    private int CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Spec.BlockSize)
            throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{Spec.BlockSize - 1}");
        return slot;
    }
}
