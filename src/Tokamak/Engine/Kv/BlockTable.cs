namespace Tokamak.Engine.Kv;

/// <summary>
/// One sequence's map from logical block index (position / BlockSize) to physical block id. It grows on demand as
/// token slots are reserved, so only the last block can be partly empty (internal fragmentation below one block).
/// <see cref="NumTokens"/> counts reserved slots, which the model fills with K/V when it computes those positions.
/// </summary>
public sealed class BlockTable
{
    private readonly List<int> _blocks = [];

    /// <summary>Creates an empty table for blocks of <paramref name="blockSize"/> slots.</summary>
    public BlockTable(int blockSize)
    {
        if (blockSize <= 0) throw new ArgumentException($"block size must be positive, got {blockSize}");
        BlockSize = blockSize;
    }

    /// <summary>Token slots per block.</summary>
    public int BlockSize { get; }

    /// <summary>Token positions covered (reserved) by the table.</summary>
    public int NumTokens { get; private set; }

    /// <summary>Number of logical blocks.</summary>
    public int Count => _blocks.Count;

    /// <summary>Physical id of logical block <paramref name="logicalBlock"/>.</summary>
    public int this[int logicalBlock] => _blocks[logicalBlock];

    /// <summary>The physical ids in logical order (valid until the table next changes).</summary>
    public ReadOnlySpan<int> Blocks => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_blocks);

    /// <summary>Physical block and slot of token position <paramref name="position"/>.</summary>
    public (int Block, int Slot) Locate(int position)
    {
        if ((uint)position >= (uint)NumTokens)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is outside the table's {NumTokens} slots");
        return (_blocks[position / BlockSize], position % BlockSize);
    }

    /// <summary>Blocks that must be allocated to reserve <paramref name="newTokens"/> more slots.</summary>
    public int BlocksNeededFor(int newTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        int total = NumTokens + newTokens;
        return (total + BlockSize - 1) / BlockSize - _blocks.Count;
    }

    /// <summary>
    /// Reserves <paramref name="newTokens"/> more slots, allocating blocks from <paramref name="pool"/> as needed. If
    /// the current last block is partly filled and shared, it is first made private (copy-on-write via
    /// <paramref name="copy"/>). Throws <see cref="InvalidOperationException"/> when the pool runs out; callers that
    /// must not fail check <see cref="BlocksNeededFor"/> against <see cref="BlockPool.Available"/> first (plus one
    /// when <see cref="NeedsCopyOnWrite"/>).
    /// </summary>
    public void Append(BlockPool pool, int newTokens, Action<int, int>? copy)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        if (newTokens == 0) return;
        if (NumTokens % BlockSize != 0) pool.EnsureWritable(this, _blocks.Count - 1, copy);
        int need = BlocksNeededFor(newTokens);
        for (int i = 0; i < need; i++) _blocks.Add(pool.Allocate());
        NumTokens += newTokens;
    }

    /// <summary>True when appending would first have to copy a shared, partly filled last block.</summary>
    public bool NeedsCopyOnWrite(BlockPool pool) =>
        NumTokens % BlockSize != 0 && (pool.RefCount(_blocks[^1]) > 1 || pool.HashOf(_blocks[^1]) is not null);

    /// <summary>
    /// Adopts already computed full blocks (prefix-cache hits) at the start of an empty table, adding one reference
    /// to each.
    /// </summary>
    public void AdoptPrefix(BlockPool pool, ReadOnlySpan<int> blocks)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (_blocks.Count != 0) throw new InvalidOperationException("a cached prefix can only be adopted by an empty block table");
        foreach (int b in blocks)
        {
            pool.Retain(b);
            _blocks.Add(b);
        }
        NumTokens = blocks.Length * BlockSize;
    }

    /// <summary>A new table sharing every block with this one (ref counts up); appends diverge via copy-on-write.</summary>
    public BlockTable Fork(BlockPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var child = new BlockTable(BlockSize);
        foreach (int b in _blocks)
        {
            pool.Retain(b);
            child._blocks.Add(b);
        }
        child.NumTokens = NumTokens;
        return child;
    }

    /// <summary>Drops this table's reference to every block (deepest evicted first) and empties it.</summary>
    public void Release(BlockPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        pool.Release(Blocks);
        _blocks.Clear();
        NumTokens = 0;
    }

    internal void Replace(int logicalBlock, int physical) => _blocks[logicalBlock] = physical;
}
