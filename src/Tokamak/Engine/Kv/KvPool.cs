using Tokamak.Tensors;

namespace Tokamak.Engine.Kv;

/// <summary>
/// The fixed pool of KV blocks, one <see cref="NativeBuffer"/> allocated once at start-up.
/// <para>Layout (F32): for each layer <c>l</c>, K then V, each a contiguous region
/// <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>; so the whole buffer is
/// <c>[Layers, 2, NumBlocks, BlockSize, KvHeads, HeadDim]</c>. A token at slot <c>s</c> of block <c>b</c> has its
/// K row for kv head <c>h</c> at float offset <c>((l·2 + 0)·NumBlocks + b)·BlockElements + (s·KvHeads + h)·HeadDim</c>.
/// Keeping one region per (layer, K|V) lets the attention kernel walk a layer's blocks with one base pointer, and
/// leaves room for a parallel per-row scale region when an int8 variant is added.</para>
/// <para>The pool holds data only; which block belongs to whom is the <see cref="BlockPool"/>'s business.</para>
/// </summary>
public sealed unsafe class KvPool : IDisposable
{
    private readonly NativeBuffer _buffer;

    /// <summary>Allocates a zeroed pool of <paramref name="numBlocks"/> blocks.</summary>
    public KvPool(KvCacheSpec spec, int numBlocks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (numBlocks <= 0) throw new ArgumentException($"KV pool needs at least one block, got {numBlocks}");
        Spec = spec;
        NumBlocks = numBlocks;
        _buffer = new NativeBuffer(checked(spec.BytesPerBlock * numBlocks));
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

    /// <summary>Base of layer <paramref name="layer"/>'s K region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public float* KeyBase(int layer) => Region(layer, 0);

    /// <summary>Base of layer <paramref name="layer"/>'s V region <c>[NumBlocks, BlockSize, KvHeads, HeadDim]</c>.</summary>
    public float* ValueBase(int layer) => Region(layer, 1);

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
            keys.Slice(i * kvDim, kvDim).CopyTo(KeyRow(layer, block, slot));
            values.Slice(i * kvDim, kvDim).CopyTo(ValueRow(layer, block, slot));
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
            keys.Slice(i * kvDim, kvDim).CopyTo(KeyRow(layer, block, slot));
            values.Slice(i * kvDim, kvDim).CopyTo(ValueRow(layer, block, slot));
        }
    }

    /// <summary>Copies block <paramref name="source"/> into <paramref name="destination"/> in every layer (copy-on-write).</summary>
    public void CopyBlock(int source, int destination)
    {
        for (int l = 0; l < Spec.Layers; l++)
        {
            KeyBlock(l, source).CopyTo(KeyBlock(l, destination));
            ValueBlock(l, source).CopyTo(ValueBlock(l, destination));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();

    private float* Region(int layer, int kv)
    {
        if ((uint)layer >= (uint)Spec.Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{Spec.Layers - 1}");
        return (float*)_buffer.Pointer + ((long)layer * 2 + kv) * NumBlocks * Spec.BlockElements;
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
