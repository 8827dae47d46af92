namespace Tokamak.Engine.Kv;

/// <summary>
/// Per-sequence KV block management for the scheduler (vLLM v1's KVCacheManager role): block tables keyed by
/// sequence id, prefix-cache lookups, all-or-nothing slot allocation, caching of computed blocks, forks and frees.
/// <para>Typical use by a scheduler for one request per step:
/// <code>
/// int cached = mgr.FindCachedPrefix(tokens, seed, hits);              // only when the request has no table yet
/// if (!mgr.TryAllocateSlots(id, seed, hits, numNewTokens)) { /* preempt someone or wait */ }
/// // ... model computes the tokens, writing K/V through mgr.Table(id) ...
/// mgr.CommitComputed(id, tokens, numComputed);                         // full blocks become prefix-cache entries
/// mgr.Free(id);                                                        // when finished, aborted or preempted
/// </code></para>
/// </summary>
public sealed class KvCacheManager
{
    private readonly Dictionary<long, SequenceKv> _sequences = new();
    private readonly Action<int, int>? _copy;

    /// <summary>
    /// Creates a manager for <paramref name="numBlocks"/> blocks of <paramref name="spec"/>. When
    /// <paramref name="pool"/> is given, copy-on-write copies its data; without it (scheduler tests) only the
    /// book-keeping runs.
    /// </summary>
    public KvCacheManager(KvCacheSpec spec, int numBlocks, KvPool? pool = null, bool enablePrefixCaching = true)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (pool is not null && (pool.NumBlocks != numBlocks || pool.Spec.BlockSize != spec.BlockSize))
            throw new ArgumentException($"KV pool has {pool.NumBlocks} blocks of {pool.Spec.BlockSize}, manager was given {numBlocks} of {spec.BlockSize}");
        Spec = spec;
        Pool = pool;
        Blocks = new BlockPool(numBlocks);
        PrefixCache = new PrefixCache(Blocks, spec.BlockSize);
        PrefixCachingEnabled = enablePrefixCaching;
        if (pool is not null) _copy = pool.CopyBlock;
    }

    /// <summary>Geometry.</summary>
    public KvCacheSpec Spec { get; }

    /// <summary>Token slots per block.</summary>
    public int BlockSize => Spec.BlockSize;

    /// <summary>The KV data, if attached.</summary>
    public KvPool? Pool { get; }

    /// <summary>Reference counts, free list, cache index.</summary>
    public BlockPool Blocks { get; }

    /// <summary>Prefix lookups and hit counters.</summary>
    public PrefixCache PrefixCache { get; }

    /// <summary>Whether computed blocks are cached and looked up.</summary>
    public bool PrefixCachingEnabled { get; }

    /// <summary>Sequences holding a block table.</summary>
    public int SequenceCount => _sequences.Count;

    /// <summary>True when <paramref name="sequenceId"/> has a block table.</summary>
    public bool Contains(long sequenceId) => _sequences.ContainsKey(sequenceId);

    /// <summary>The block table of <paramref name="sequenceId"/>.</summary>
    public BlockTable Table(long sequenceId) => Get(sequenceId).Table;

    /// <summary>
    /// Longest cached prefix of <paramref name="tokens"/> (whole blocks, never all tokens); appends the blocks to
    /// <paramref name="hitBlocks"/> and returns the tokens covered. No side effects; returns 0 when caching is off.
    /// </summary>
    public int FindCachedPrefix(ReadOnlySpan<int> tokens, BlockHash seed, List<int> hitBlocks) =>
        PrefixCachingEnabled ? PrefixCache.FindLongestPrefix(tokens, seed, hitBlocks) : 0;

    /// <summary>
    /// Blocks an allocation of <paramref name="numNewTokens"/> would take from <see cref="BlockPool.Available"/>,
    /// counting evictable cached hits it would pin and a copy-on-write of a shared last block.
    /// </summary>
    public int BlocksRequired(long sequenceId, ReadOnlySpan<int> hitBlocks, int numNewTokens)
    {
        if (_sequences.TryGetValue(sequenceId, out var s))
        {
            if (!hitBlocks.IsEmpty) throw new InvalidOperationException($"sequence {sequenceId} already has blocks; cached prefix hits apply to new sequences only");
            return s.Table.BlocksNeededFor(numNewTokens) + (numNewTokens > 0 && s.Table.NeedsCopyOnWrite(Blocks) ? 1 : 0);
        }
        int pinned = 0;
        foreach (int b in hitBlocks) if (Blocks.IsEvictable(b)) pinned++;
        int total = hitBlocks.Length * BlockSize + numNewTokens;
        return Spec.BlocksForTokens(total) - hitBlocks.Length + pinned;
    }

    /// <summary>
    /// Most new tokens <paramref name="sequenceId"/> could reserve right now (slack in its last block plus whole free
    /// or evictable blocks, minus a pending copy-on-write, or for a new sequence minus the evictable hits it would pin).
    /// Lets a scheduler shrink a prefill chunk to what fits instead of failing.
    /// </summary>
    public int MaxAllocatableTokens(long sequenceId, ReadOnlySpan<int> hitBlocks)
    {
        long avail = Blocks.Available;
        if (_sequences.TryGetValue(sequenceId, out var s))
        {
            if (s.Table.NeedsCopyOnWrite(Blocks)) avail--;
            if (avail < 0) return 0;
            long slack = (long)s.Table.Count * BlockSize - s.Table.NumTokens;
            return (int)Math.Min(int.MaxValue, slack + avail * BlockSize);
        }
        foreach (int b in hitBlocks) if (Blocks.IsEvictable(b)) avail--;
        return (int)Math.Min(int.MaxValue, Math.Max(0, avail) * BlockSize);
    }

    /// <summary>
    /// Reserves slots for <paramref name="numNewTokens"/> more tokens of <paramref name="sequenceId"/>, creating its
    /// table on first use from the cached prefix <paramref name="hitBlocks"/> (from <see cref="FindCachedPrefix"/>
    /// with the same <paramref name="seed"/>). All or nothing: returns false and changes nothing when the pool
    /// cannot supply the blocks.
    /// </summary>
    public bool TryAllocateSlots(long sequenceId, BlockHash seed, ReadOnlySpan<int> hitBlocks, int numNewTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numNewTokens);
        if (BlocksRequired(sequenceId, hitBlocks, numNewTokens) > Blocks.Available) return false;
        if (!_sequences.TryGetValue(sequenceId, out var s))
        {
            s = new SequenceKv(new BlockTable(BlockSize), seed);
            s.Table.AdoptPrefix(Blocks, hitBlocks);
            _sequences.Add(sequenceId, s);
        }
        s.Table.Append(Blocks, numNewTokens, _copy);
        return true;
    }

    /// <summary>
    /// Records that the first <paramref name="numComputed"/> of <paramref name="tokens"/> (the sequence's prompt
    /// followed by its outputs) now have K/V, making newly full blocks available to the prefix cache.
    /// </summary>
    public void CommitComputed(long sequenceId, ReadOnlySpan<int> tokens, int numComputed)
    {
        var s = Get(sequenceId);
        if (PrefixCachingEnabled) PrefixCache.CacheComputed(s.Table, tokens, numComputed, s.Seed, s.Chain);
    }

    /// <summary>Gives a new sequence <paramref name="childId"/> a table sharing all of <paramref name="parentId"/>'s blocks.</summary>
    public void Fork(long parentId, long childId)
    {
        var p = Get(parentId);
        if (_sequences.ContainsKey(childId)) throw new ArgumentException($"sequence {childId} already exists");
        var c = new SequenceKv(p.Table.Fork(Blocks), p.Seed);
        c.Chain.AddRange(p.Chain);
        _sequences.Add(childId, c);
    }

    /// <summary>Releases every block of <paramref name="sequenceId"/> (cached ones stay reusable). No-op when it has none.</summary>
    public void Free(long sequenceId)
    {
        if (_sequences.Remove(sequenceId, out var s)) s.Table.Release(Blocks);
    }

    /// <summary>
    /// Token slots allocated but not yet holding K/V: the unused tail of each sequence's last block (internal
    /// fragmentation; every other block of a table is full). A partly filled last block shared by k forks has the same
    /// fill in each of them, so each counts 1/k of its tail and the block is counted once. Allocation-free.
    /// </summary>
    public double UnfilledSlots()
    {
        double unfilled = 0;
        foreach (var s in _sequences.Values)
        {
            var t = s.Table;
            if (t.Count == 0) continue;
            int tail = t.Count * BlockSize - t.NumTokens;
            if (tail > 0) unfilled += (double)tail / Blocks.RefCount(t[t.Count - 1]);
        }
        return unfilled;
    }

    /// <summary>
    /// Checks that the pool is consistent (<see cref="BlockPool.Audit"/>) and that every block's reference count
    /// equals the number of block tables holding it: no block is in use without an owner, none is held without a
    /// reference. Throws <see cref="InvalidOperationException"/> naming the first mismatch. For tests; allocates.
    /// </summary>
    public void Audit()
    {
        Blocks.Audit();
        var holders = new int[Blocks.Capacity];
        foreach (var s in _sequences.Values)
        {
            if (s.Table.NumTokens > s.Table.Count * BlockSize || s.Table.NumTokens <= (s.Table.Count - 1) * BlockSize)
                throw new InvalidOperationException($"a block table covers {s.Table.NumTokens} tokens with {s.Table.Count} blocks of {BlockSize}");
            foreach (int b in s.Table.Blocks) holders[b]++;
        }
        for (int b = 0; b < holders.Length; b++)
            if (holders[b] != Blocks.RefCount(b))
                throw new InvalidOperationException($"block {b} has ref count {Blocks.RefCount(b)} but {holders[b]} block tables hold it");
    }

    private SequenceKv Get(long id) =>
        _sequences.TryGetValue(id, out var s) ? s : throw new KeyNotFoundException($"sequence {id} has no KV blocks");

    private sealed class SequenceKv(BlockTable table, BlockHash seed)
    {
        public BlockTable Table { get; } = table;
        public BlockHash Seed { get; } = seed;
        public List<BlockHash> Chain { get; } = [];
    }
}
