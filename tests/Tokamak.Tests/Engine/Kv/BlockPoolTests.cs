using Tokamak.Engine.Kv;

namespace Tokamak.Tests.Engine.Kv;

public class BlockPoolTests
{
    private static BlockHash H(int i) => BlockHash.Of(BlockHash.Seed(), [i]);

    [Fact]
    public void AllocateAndRelease_TrackUsedAndFree()
    {
        var pool = new BlockPool(3);
        int a = pool.Allocate(), b = pool.Allocate();
        Assert.NotEqual(a, b);
        Assert.Equal(new BlockPoolStats(3, 2, 1, 0), pool.Stats);
        pool.Release(a);
        Assert.Equal(new BlockPoolStats(3, 1, 2, 0), pool.Stats);
        Assert.Throws<InvalidOperationException>(() => pool.Release(a));
        Assert.Throws<InvalidOperationException>(() => pool.Retain(a));
        pool.Allocate(); pool.Allocate();
        Assert.False(pool.TryAllocate(out _));
        Assert.Throws<InvalidOperationException>(() => pool.Allocate());
        pool.Audit();
    }

    [Fact]
    public void HashedBlock_GoesToCachedAtZeroAndIsEvictedOnlyWhenNoFreeBlockIsLeft()
    {
        var pool = new BlockPool(2);
        int a = pool.Allocate();
        Assert.True(pool.TryCache(a, H(1), 0));
        pool.Release(a);
        Assert.Equal(new BlockPoolStats(2, 0, 1, 1), pool.Stats);
        Assert.True(pool.TryGetCached(H(1), out int found));
        Assert.Equal(a, found);

        int b = pool.Allocate(); // takes the free block, keeps the cached one
        Assert.NotEqual(a, b);
        Assert.True(pool.TryGetCached(H(1), out _));
        int c = pool.Allocate(); // must evict
        Assert.Equal(a, c);
        Assert.False(pool.TryGetCached(H(1), out _));
        Assert.Null(pool.HashOf(c));
        Assert.Equal(1, pool.Evictions);
        pool.Audit();
    }

    [Fact]
    public void DuplicateContent_IsNotCachedTwice()
    {
        var pool = new BlockPool(2);
        int a = pool.Allocate(), b = pool.Allocate();
        Assert.True(pool.TryCache(a, H(7), 0));
        Assert.False(pool.TryCache(b, H(7), 0));
        pool.Release(b);
        Assert.Equal(1, pool.Stats.Free); // unhashed duplicate goes straight to the free list
        pool.Audit();
    }

    [Fact]
    public void Eviction_IsLeastRecentlyReleasedFirst_ThenDeepestFirst()
    {
        var pool = new BlockPool(5);
        // Chain X of depth 0..2 released together, then a lone block Y released later.
        int x0 = pool.Allocate(), x1 = pool.Allocate(), x2 = pool.Allocate(), y = pool.Allocate();
        pool.TryCache(x0, H(10), 0);
        pool.TryCache(x1, H(11), 1);
        pool.TryCache(x2, H(12), 2);
        pool.TryCache(y, H(20), 0);
        pool.Release([x0, x1, x2]);
        pool.Release(y);
        pool.Allocate(); // the one free block
        Assert.Equal(x2, pool.Allocate());
        Assert.Equal(x1, pool.Allocate());
        // A hit on x0 makes it recently used: after re-release it outlives y.
        pool.Retain(x0);
        pool.Release(x0);
        Assert.Equal(y, pool.Allocate());
        Assert.Equal(x0, pool.Allocate());
        pool.Audit();
    }

    [Fact]
    public void Retain_OnCachedBlock_RemovesItFromEvictable()
    {
        var pool = new BlockPool(1);
        int a = pool.Allocate();
        pool.TryCache(a, H(1), 0);
        pool.Release(a);
        Assert.True(pool.IsEvictable(a));
        pool.Retain(a);
        Assert.False(pool.IsEvictable(a));
        Assert.Equal(1, pool.RefCount(a));
        Assert.False(pool.TryAllocate(out _));
        pool.Audit();
    }

    [Fact]
    public void ForkThenAppend_CopiesTheSharedPartialBlockOnly()
    {
        var spec = new KvCacheSpec(layers: 2, kvHeads: 1, headDim: 2, blockSize: 4);
        using var kv = new KvPool(spec, 8);
        var pool = new BlockPool(8);
        var parent = new BlockTable(4);
        parent.Append(pool, 6, kv.CopyBlock); // one full block + 2 slots of the second
        var data = new float[6 * 2];
        for (int i = 0; i < data.Length; i++) data[i] = i + 1;
        kv.Write(1, parent, 0, data, data);

        var child = parent.Fork(pool);
        Assert.Equal(parent.Blocks.ToArray(), child.Blocks.ToArray());
        Assert.Equal(2, pool.RefCount(parent[0]));
        Assert.True(child.NeedsCopyOnWrite(pool));

        child.Append(pool, 1, kv.CopyBlock);
        Assert.Equal(parent[0], child[0]);          // full block still shared
        Assert.NotEqual(parent[1], child[1]);       // partial block copied
        Assert.Equal(1, pool.RefCount(parent[1]));
        Assert.Equal(1, pool.RefCount(child[1]));
        Assert.Equal(kv.KeyBlock(1, parent[1]).ToArray(), kv.KeyBlock(1, child[1]).ToArray());

        // Writing into the child's new slot leaves the parent's block alone.
        kv.Write(1, child, 6, [100f, 101f], [100f, 101f]);
        Assert.Equal(0f, kv.KeyRow(1, parent[1], 2)[0]);
        Assert.Equal(100f, kv.KeyRow(1, child[1], 2)[0]);

        // The parent is the only owner of its partial block now, so its append copies nothing.
        int before = parent[1];
        parent.Append(pool, 1, kv.CopyBlock);
        Assert.Equal(before, parent[1]);

        parent.Release(pool);
        child.Release(pool);
        Assert.Equal(0, pool.Stats.Used);
        pool.Audit();
    }

    [Fact]
    public void BlockTable_GrowsOnDemand_WithFragmentationOnlyInTheLastBlock()
    {
        var pool = new BlockPool(10);
        var t = new BlockTable(4);
        int[] appends = [1, 3, 1, 7, 4, 2];
        int total = 0;
        foreach (int n in appends)
        {
            Assert.Equal((total + n + 3) / 4 - t.Count, t.BlocksNeededFor(n));
            t.Append(pool, n, null);
            total += n;
            Assert.Equal(total, t.NumTokens);
            Assert.Equal((total + 3) / 4, t.Count);
        }
        Assert.Equal(18, total);
        Assert.Equal((t[4], 1), t.Locate(17));
        Assert.Equal((t[2], 3), t.Locate(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Locate(18));
    }

    [Fact]
    public void RandomAllocateForkAppendFree_NeverLeaksAndRefCountsMatchOwners()
    {
        const int blockSize = 4, numBlocks = 48;
        var spec = new KvCacheSpec(1, 1, 2, blockSize);
        var rng = new Random(12345);
        for (int round = 0; round < 20; round++)
        {
            var mgr = new KvCacheManager(spec, numBlocks, pool: null, enablePrefixCaching: true);
            // Independent record of each live sequence's tokens; tokens come from a tiny alphabet so prefixes repeat.
            var live = new Dictionary<long, List<int>>();
            long nextId = 0;
            for (int op = 0; op < 300; op++)
            {
                int kind = rng.Next(4);
                if (kind == 0 || live.Count == 0)
                {
                    var tokens = Enumerable.Range(0, rng.Next(1, 14)).Select(_ => rng.Next(3)).ToList();
                    var hits = new List<int>();
                    int cached = mgr.FindCachedPrefix(tokens.ToArray(), BlockHash.Seed(), hits);
                    if (mgr.TryAllocateSlots(nextId, BlockHash.Seed(), hits.ToArray(), tokens.Count - cached))
                    {
                        mgr.CommitComputed(nextId, tokens.ToArray(), tokens.Count);
                        live[nextId] = tokens;
                    }
                    nextId++;
                }
                else
                {
                    long id = live.Keys.ElementAt(rng.Next(live.Count));
                    if (kind == 1)
                    {
                        mgr.Fork(id, nextId);
                        live[nextId++] = [.. live[id]];
                    }
                    else if (kind == 2)
                    {
                        int n = rng.Next(1, 6);
                        if (mgr.TryAllocateSlots(id, default, [], n))
                        {
                            for (int i = 0; i < n; i++) live[id].Add(rng.Next(3));
                            mgr.CommitComputed(id, live[id].ToArray(), live[id].Count);
                        }
                    }
                    else
                    {
                        mgr.Free(id);
                        live.Remove(id);
                    }
                }

                // Every block's ref count equals the number of table entries naming it.
                var owners = new int[numBlocks];
                foreach (var (id, toks) in live)
                {
                    var t = mgr.Table(id);
                    Assert.Equal(toks.Count, t.NumTokens);
                    Assert.Equal((toks.Count + blockSize - 1) / blockSize, t.Count);
                    foreach (int b in t.Blocks) owners[b]++;
                }
                for (int b = 0; b < numBlocks; b++) Assert.Equal(owners[b], mgr.Blocks.RefCount(b));
                var s = mgr.Blocks.Stats;
                Assert.Equal(numBlocks, s.Used + s.Free + s.Cached);
                Assert.Equal(owners.Count(o => o > 0), s.Used);
            }
            mgr.Blocks.Audit();
            foreach (long id in live.Keys.ToList()) mgr.Free(id);
            var end = mgr.Blocks.Stats;
            Assert.Equal(0, end.Used);
            Assert.Equal(numBlocks, end.Free + end.Cached);
            Assert.Equal(0, mgr.SequenceCount);
            mgr.Blocks.Audit();
        }
    }
}
