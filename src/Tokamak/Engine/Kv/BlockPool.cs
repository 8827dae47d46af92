namespace Tokamak.Engine.Kv;

/// <summary>
/// Book-keeping of the physical KV blocks: reference counts, the free list, and the prefix-cache index of full
/// blocks identified by <see cref="BlockHash"/>. Holds no KV data (that is the <see cref="KvPool"/>).
/// <para>Each block is in exactly one state: <b>used</b> (ref count ≥ 1), <b>free</b> (ref 0, no hash, on the free
/// list) or <b>cached</b> (ref 0, hashed, evictable). Releasing the last reference of a hashed block keeps its
/// contents for future prefix hits; an allocation takes free blocks first and only then evicts cached ones, least
/// recently released first and, among blocks released together, the deepest in its prefix first so leaves go before
/// the parents that other chains may still extend.</para>
/// <para>Not thread-safe: the scheduler owns it and runs on one thread.</para>
/// </summary>
public sealed class BlockPool
{
    private readonly int[] _refCount;
    private readonly BlockHash?[] _hash;
    private readonly int[] _depth;           // logical index of the block in its prefix chain when hashed
    private readonly long[] _releasedAt;     // clock value when the ref count last fell to 0 (LRU key)
    private readonly Stack<int> _free = new();
    private readonly SortedSet<EvictionKey> _evictable = new();
    private readonly Dictionary<BlockHash, int> _byHash = new();
    private long _clock;

    /// <summary>Creates a pool of <paramref name="numBlocks"/> free blocks.</summary>
    public BlockPool(int numBlocks)
    {
        if (numBlocks <= 0) throw new ArgumentException($"block pool needs at least one block, got {numBlocks}");
        Capacity = numBlocks;
        _refCount = new int[numBlocks];
        _hash = new BlockHash?[numBlocks];
        _depth = new int[numBlocks];
        _releasedAt = new long[numBlocks];
        // Pushed in reverse so block 0 is handed out first (deterministic, easier to read in tests and logs).
        for (int b = numBlocks - 1; b >= 0; b--) _free.Push(b);
    }

    /// <summary>Total physical blocks.</summary>
    public int Capacity { get; }

    /// <summary>Blocks an allocation can obtain now (free plus evictable cached).</summary>
    public int Available => _free.Count + _evictable.Count;

    /// <summary>Blocks evicted from the prefix cache so far.</summary>
    public long Evictions { get; private set; }

    /// <summary>Current counts of used, free and cached blocks.</summary>
    public BlockPoolStats Stats => new(Capacity, Capacity - _free.Count - _evictable.Count, _free.Count, _evictable.Count);

    /// <summary>Reference count of <paramref name="block"/>.</summary>
    public int RefCount(int block) => _refCount[Check(block)];

    /// <summary>The prefix-cache hash of <paramref name="block"/>, or null when it is not cached.</summary>
    public BlockHash? HashOf(int block) => _hash[Check(block)];

    /// <summary>Allocates one block with ref count 1, evicting a cached block if no free one is left.</summary>
    public bool TryAllocate(out int block)
    {
        if (_free.Count > 0)
        {
            block = _free.Pop();
        }
        else if (_evictable.Count > 0)
        {
            var victim = _evictable.Min;
            _evictable.Remove(victim);
            block = victim.Block;
            _byHash.Remove(_hash[block]!.Value);
            _hash[block] = null;
            Evictions++;
        }
        else
        {
            block = -1;
            return false;
        }
        _refCount[block] = 1;
        return true;
    }

    /// <summary>Allocates one block; throws <see cref="InvalidOperationException"/> when the pool is exhausted.</summary>
    public int Allocate() =>
        TryAllocate(out int b) ? b : throw new InvalidOperationException($"KV block pool exhausted: all {Capacity} blocks are in use");

    /// <summary>
    /// Adds a reference to <paramref name="block"/> (fork, or a prefix-cache hit). A cached block with no references
    /// leaves the evictable set.
    /// </summary>
    public void Retain(int block)
    {
        Check(block);
        if (_refCount[block] == 0)
        {
            if (_hash[block] is null)
                throw new InvalidOperationException($"block {block} is free; only used or cached blocks can be retained");
            _evictable.Remove(Key(block));
        }
        _refCount[block]++;
    }

    /// <summary>Drops one reference to <paramref name="block"/>; at zero it becomes cached (if hashed) or free.</summary>
    public void Release(int block)
    {
        _clock++;
        ReleaseAt(block, _clock);
    }

    /// <summary>
    /// Drops one reference to each block of <paramref name="blocks"/> at the same LRU time, so that among them the
    /// deepest prefix block is evicted first.
    /// </summary>
    public void Release(ReadOnlySpan<int> blocks)
    {
        _clock++;
        foreach (int b in blocks) ReleaseAt(b, _clock);
    }

    /// <summary>
    /// Registers the full block <paramref name="block"/> (in use) under <paramref name="hash"/> at prefix depth
    /// <paramref name="depth"/> (its logical index). Returns false and leaves the block unhashed when another block
    /// already holds that hash (the same content computed twice) or when the block is already hashed.
    /// </summary>
    public bool TryCache(int block, BlockHash hash, int depth)
    {
        Check(block);
        if (_refCount[block] == 0)
            throw new InvalidOperationException($"block {block} is not in use; only blocks holding computed tokens can be cached");
        if (_hash[block] is not null || _byHash.ContainsKey(hash)) return false;
        _hash[block] = hash;
        _depth[block] = depth;
        _byHash[hash] = block;
        return true;
    }

    /// <summary>Finds the block caching <paramref name="hash"/>, in use or evictable.</summary>
    public bool TryGetCached(BlockHash hash, out int block) => _byHash.TryGetValue(hash, out block);

    /// <summary>True when the block is evictable-cached (so retaining it takes one block from <see cref="Available"/>).</summary>
    public bool IsEvictable(int block) => _refCount[Check(block)] == 0 && _hash[block] is not null;

    /// <summary>
    /// Makes logical block <paramref name="logicalBlock"/> of <paramref name="table"/> safe to write: when the
    /// physical block is shared (ref count &gt; 1) or holds a prefix-cache entry, a fresh block is allocated,
    /// <paramref name="copy"/> copies the data (<see cref="KvPool.CopyBlock"/>), the old reference is released and the
    /// table is repointed. Returns true when a copy was made. Throws when the pool is exhausted.
    /// </summary>
    public bool EnsureWritable(BlockTable table, int logicalBlock, Action<int, int>? copy)
    {
        ArgumentNullException.ThrowIfNull(table);
        int old = table[logicalBlock];
        if (_refCount[old] == 1 && _hash[old] is null) return false;
        int fresh = Allocate();
        copy?.Invoke(old, fresh);
        Release(old);
        table.Replace(logicalBlock, fresh);
        return true;
    }

    /// <summary>
    /// Checks the pool's internal consistency (every block in exactly one state, hash index matches) and throws
    /// <see cref="InvalidOperationException"/> naming the first broken block. Meant for tests and debug builds.
    /// </summary>
    public void Audit()
    {
        var onFree = new HashSet<int>();
        foreach (int b in _free)
            if (!onFree.Add(b)) throw new InvalidOperationException($"block {b} is on the free list twice");
        var evictable = new HashSet<int>();
        foreach (var k in _evictable) evictable.Add(k.Block);
        for (int b = 0; b < Capacity; b++)
        {
            int states = (_refCount[b] > 0 ? 1 : 0) + (onFree.Contains(b) ? 1 : 0) + (evictable.Contains(b) ? 1 : 0);
            if (states != 1) throw new InvalidOperationException($"block {b} is in {states} states (ref {_refCount[b]})");
            if (_refCount[b] < 0) throw new InvalidOperationException($"block {b} has negative ref count");
            if (onFree.Contains(b) && _hash[b] is not null) throw new InvalidOperationException($"free block {b} still has a hash");
            if (evictable.Contains(b) && _hash[b] is null) throw new InvalidOperationException($"evictable block {b} has no hash");
            if (_hash[b] is { } h && (!_byHash.TryGetValue(h, out int owner) || owner != b))
                throw new InvalidOperationException($"block {b}'s hash is missing from the index");
        }
        if (_byHash.Count != _hash.Count(h => h is not null))
            throw new InvalidOperationException("hash index has entries for blocks that are not hashed");
    }

    private void ReleaseAt(int block, long clock)
    {
        Check(block);
        if (_refCount[block] <= 0) throw new InvalidOperationException($"block {block} released more times than it was referenced");
        if (--_refCount[block] > 0) return;
        if (_hash[block] is null)
        {
            _free.Push(block);
        }
        else
        {
            _releasedAt[block] = clock;
            _evictable.Add(Key(block));
        }
    }

    private EvictionKey Key(int block) => new(_releasedAt[block], _depth[block], block);

    private int Check(int block)
    {
        if ((uint)block >= (uint)Capacity)
            throw new ArgumentOutOfRangeException(nameof(block), $"block {block} is outside 0..{Capacity - 1}");
        return block;
    }

    /// <summary>Eviction order: oldest release first, then deepest first, then id (for determinism).</summary>
    private readonly record struct EvictionKey(long ReleasedAt, int Depth, int Block) : IComparable<EvictionKey>
    {
        public int CompareTo(EvictionKey other)
        {
            int c = ReleasedAt.CompareTo(other.ReleasedAt);
            if (c != 0) return c;
            c = other.Depth.CompareTo(Depth);
            return c != 0 ? c : Block.CompareTo(other.Block);
        }
    }
}
