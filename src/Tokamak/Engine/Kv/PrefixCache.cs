namespace Tokamak.Engine.Kv;

/// <summary>
/// Automatic prefix caching over a <see cref="BlockPool"/> (vLLM's design): every full block whose K/V has been
/// computed is registered under <c>BlockHash.Of(parent hash, its tokens)</c>, the chain rooted at a request's
/// <see cref="BlockHash.Seed"/>. A new request walks its prompt block by block and reuses the longest run of cached
/// blocks. Cached blocks outlive the request that computed them and are evicted only when the pool needs space
/// (see <see cref="BlockPool"/> for the order).
/// </summary>
public sealed class PrefixCache
{
    private readonly BlockPool _pool;

    /// <summary>Creates the cache over <paramref name="pool"/> for blocks of <paramref name="blockSize"/> tokens.</summary>
    public PrefixCache(BlockPool pool, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (blockSize <= 0) throw new ArgumentException($"block size must be positive, got {blockSize}");
        _pool = pool;
        BlockSize = blockSize;
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Prompt tokens looked up (summed over admitted requests).</summary>
    public long QueriedTokens { get; private set; }

    /// <summary>Of <see cref="QueriedTokens"/>, those served from the cache.</summary>
    public long HitTokens { get; private set; }

    /// <summary>Requests looked up.</summary>
    public long Queries { get; private set; }

    /// <summary>Requests that reused at least one block.</summary>
    public long Hits { get; private set; }

    /// <summary>HitTokens / QueriedTokens (0 before any query): the prefix cache hit-rate metric.</summary>
    public double HitRatio => QueriedTokens == 0 ? 0 : (double)HitTokens / QueriedTokens;

    /// <summary>
    /// Finds the longest cached prefix of <paramref name="tokens"/> in whole blocks, never covering the last token
    /// (the model must compute at least one position to produce logits). Appends the physical blocks to
    /// <paramref name="hitBlocks"/> without taking references and returns the number of tokens covered. Has no side
    /// effects; the caller adopts the blocks (<see cref="BlockTable.AdoptPrefix"/>) and calls
    /// <see cref="Record"/> once the request is really admitted.
    /// </summary>
    public int FindLongestPrefix(ReadOnlySpan<int> tokens, BlockHash seed, List<int> hitBlocks)
    {
        ArgumentNullException.ThrowIfNull(hitBlocks);
        int maxBlocks = Math.Max(0, tokens.Length - 1) / BlockSize;
        var parent = seed;
        int found = 0;
        for (; found < maxBlocks; found++)
        {
            var h = BlockHash.Of(parent, tokens.Slice(found * BlockSize, BlockSize));
            if (!_pool.TryGetCached(h, out int block)) break;
            hitBlocks.Add(block);
            parent = h;
        }
        return found * BlockSize;
    }

    /// <summary>Counts one admitted request that queried <paramref name="queriedTokens"/> and reused <paramref name="hitTokens"/>.</summary>
    public void Record(int queriedTokens, int hitTokens)
    {
        if (hitTokens < 0 || hitTokens > queriedTokens)
            throw new ArgumentOutOfRangeException(nameof(hitTokens), $"hit tokens {hitTokens} must be within 0..{queriedTokens}");
        Queries++;
        QueriedTokens += queriedTokens;
        HitTokens += hitTokens;
        if (hitTokens > 0) Hits++;
    }

    /// <summary>
    /// Registers the full blocks of <paramref name="table"/> among the first <paramref name="numComputed"/> tokens
    /// (whose K/V now exist). <paramref name="chain"/> holds the hashes of the sequence's blocks registered so far and
    /// is extended; blocks whose content is already cached elsewhere stay private but their hash still extends the
    /// chain.
    /// </summary>
    public void CacheComputed(BlockTable table, ReadOnlySpan<int> tokens, int numComputed, BlockHash seed, List<BlockHash> chain)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(chain);
        if (numComputed > tokens.Length || numComputed > table.NumTokens)
            throw new ArgumentOutOfRangeException(nameof(numComputed), $"{numComputed} computed tokens exceed the sequence ({tokens.Length} tokens, {table.NumTokens} slots)");
        int full = numComputed / BlockSize;
        for (int i = chain.Count; i < full; i++)
        {
            var parent = i == 0 ? seed : chain[i - 1];
            var h = BlockHash.Of(parent, tokens.Slice(i * BlockSize, BlockSize));
            int block = table[i];
            if (_pool.HashOf(block) is { } existing)
            {
                // Adopted from the cache: it must be the same content or the chain is corrupt.
                if (existing != h) throw new InvalidOperationException($"block {block} at index {i} is cached under a different hash");
            }
            else
            {
                _pool.TryCache(block, h, i);
            }
            chain.Add(h);
        }
    }
}
