using Tokamak.Engine.Kv;

namespace Tokamak.Tests.Engine.Kv;

public class PrefixCacheTests
{
    private const int Bs = 4;
    private static readonly KvCacheSpec Spec = new(1, 1, 2, Bs);

    /// <summary>Admits a sequence the way a scheduler does and marks all its tokens computed.</summary>
    private static int Admit(KvCacheManager mgr, long id, int[] tokens, BlockHash seed)
    {
        var hits = new List<int>();
        int cached = mgr.FindCachedPrefix(tokens, seed, hits);
        Assert.True(mgr.TryAllocateSlots(id, seed, hits.ToArray(), tokens.Length - cached));
        mgr.PrefixCache.Record(tokens.Length, cached);
        mgr.CommitComputed(id, tokens, tokens.Length);
        return cached;
    }

    private static int[] Seq(params int[] t) => t;

    [Fact]
    public void SecondRequest_ReusesTheSharedWholeBlocks_AndTheyOutliveTheFirst()
    {
        var mgr = new KvCacheManager(Spec, 16);
        var seed = BlockHash.Seed();
        int[] a = Seq(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        Assert.Equal(0, Admit(mgr, 1, a, seed));
        mgr.Free(1); // cached blocks survive the request that made them
        Assert.Equal(2, mgr.Blocks.Stats.Cached);

        int[] b = Seq(1, 2, 3, 4, 5, 6, 7, 8, 42, 43, 44);
        var hits = new List<int>();
        Assert.Equal(8, mgr.FindCachedPrefix(b, seed, hits));
        Admit(mgr, 2, b, seed);
        Assert.Equal(hits, mgr.Table(2).Blocks[..2].ToArray());
        Assert.Equal(1, mgr.Blocks.RefCount(hits[0]));

        // Diverging inside the second block reuses only the first.
        Assert.Equal(4, Admit(mgr, 3, Seq(1, 2, 3, 4, 5, 6, 0, 0, 1), seed));
        Assert.Equal(2, mgr.Blocks.RefCount(mgr.Table(3)[0]));

        Assert.Equal(2, mgr.PrefixCache.Hits);
        Assert.Equal(3, mgr.PrefixCache.Queries);
        Assert.Equal((8.0 + 4.0) / (10 + 11 + 9), mgr.PrefixCache.HitRatio, 12);
    }

    [Fact]
    public void NeverMatchesTheWholePrompt()
    {
        var mgr = new KvCacheManager(Spec, 16);
        var seed = BlockHash.Seed();
        int[] p = Seq(1, 2, 3, 4, 5, 6, 7, 8);
        Admit(mgr, 1, p, seed);
        // Identical prompt of exactly two blocks: only the first can be reused, the last token must be computed.
        Assert.Equal(4, mgr.FindCachedPrefix(p, seed, []));
        Assert.Equal(8, mgr.FindCachedPrefix(Seq(1, 2, 3, 4, 5, 6, 7, 8, 9), seed, []));
        Assert.Equal(0, mgr.FindCachedPrefix(Seq(1, 2, 3, 4), seed, []));
    }

    [Fact]
    public void BlockIdentityDependsOnTheWholePrefix_NotJustItsOwnTokens()
    {
        var mgr = new KvCacheManager(Spec, 16);
        var seed = BlockHash.Seed();
        Admit(mgr, 1, Seq(1, 1, 1, 1, 5, 6, 7, 8, 0), seed);
        // Same second block, different first block: no hit at all.
        Assert.Equal(0, mgr.FindCachedPrefix(Seq(2, 2, 2, 2, 5, 6, 7, 8, 0), seed, []));
    }

    [Fact]
    public void SameBlockTokensUnderDifferentParents_AreDistinctEntries()
    {
        var mgr = new KvCacheManager(Spec, 16);
        var seed = BlockHash.Seed();
        Admit(mgr, 1, Seq(1, 1, 1, 1, 5, 6, 7, 8, 0), seed);
        Admit(mgr, 2, Seq(2, 2, 2, 2, 5, 6, 7, 8, 0), seed);
        // Both second blocks hold 5,6,7,8 but were computed after different first blocks: each chain has its own.
        Assert.NotEqual(mgr.Table(1)[1], mgr.Table(2)[1]);
        var hits = new List<int>();
        Assert.Equal(8, mgr.FindCachedPrefix(Seq(2, 2, 2, 2, 5, 6, 7, 8, 3), seed, hits));
        Assert.Equal(mgr.Table(2).Blocks[..2].ToArray(), hits);
    }

    [Fact]
    public void CacheSaltAndLora_IsolateTenants()
    {
        var mgr = new KvCacheManager(Spec, 16);
        int[] p = Seq(1, 2, 3, 4, 5, 6, 7, 8, 9);
        Admit(mgr, 1, p, BlockHash.Seed("tenant-a"));
        Assert.Equal(8, mgr.FindCachedPrefix(p, BlockHash.Seed("tenant-a"), []));
        Assert.Equal(0, mgr.FindCachedPrefix(p, BlockHash.Seed("tenant-b"), []));
        Assert.Equal(0, mgr.FindCachedPrefix(p, BlockHash.Seed(), []));
        Assert.Equal(0, mgr.FindCachedPrefix(p, BlockHash.Seed("tenant-a", loraId: 3), []));
        Assert.NotEqual(BlockHash.Seed(""), BlockHash.Seed(null));
    }

    [Fact]
    public void DisabledCaching_NeverHits()
    {
        var mgr = new KvCacheManager(Spec, 16, enablePrefixCaching: false);
        int[] p = Seq(1, 2, 3, 4, 5, 6, 7, 8, 9);
        Admit(mgr, 1, p, BlockHash.Seed());
        mgr.Free(1);
        Assert.Equal(0, mgr.FindCachedPrefix(p, BlockHash.Seed(), []));
        Assert.Equal(0, mgr.Blocks.Stats.Cached);
    }

    [Fact]
    public void FullPool_EvictsUnreferencedLeavesFirst_AndKeepsBlocksInUse()
    {
        var mgr = new KvCacheManager(Spec, 6);
        var seed = BlockHash.Seed();
        int[] a = Seq(1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0); // 4 blocks, 3 full
        Admit(mgr, 1, a, seed);
        mgr.Free(1);
        int[] b = Seq(9, 9, 9, 9, 8); // 2 blocks, 1 full; stays running
        Admit(mgr, 2, b, seed);
        Assert.Equal(new BlockPoolStats(6, 2, 1, 3), mgr.Blocks.Stats);

        // Needs 3 blocks: the free one, then the deepest of a's chain (block 3 of a), then block 2.
        Assert.True(mgr.TryAllocateSlots(3, seed, [], 12));
        Assert.Equal(4, mgr.FindCachedPrefix(a, seed, []));       // a's first block survived
        Assert.Equal(4, mgr.FindCachedPrefix(Seq(9, 9, 9, 9, 8, 8), seed, [])); // b's block is in use, never evicted
        Assert.Equal(2, mgr.Blocks.Evictions);

        // Only one block left (a's first, evictable); a 2-block request must be refused without side effects.
        Assert.False(mgr.TryAllocateSlots(4, seed, [], 5));
        Assert.False(mgr.Contains(4));
        mgr.Blocks.Audit();
    }

    [Fact]
    public void AdmissionCountsPinnedEvictableHitsAgainstAvailableBlocks()
    {
        var mgr = new KvCacheManager(Spec, 3);
        var seed = BlockHash.Seed();
        int[] a = Seq(1, 2, 3, 4, 5, 6, 7, 8, 9);
        Admit(mgr, 1, a, seed);
        mgr.Free(1);
        // 3 available: 1 free + 2 cached. Reusing both cached blocks and adding 5 tokens needs 2 more: 2 + 2 > 3.
        var hits = new List<int>();
        int cached = mgr.FindCachedPrefix(Seq(1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1), seed, hits);
        Assert.Equal(8, cached);
        Assert.Equal(4, mgr.BlocksRequired(7, hits.ToArray(), 5));
        Assert.False(mgr.TryAllocateSlots(7, seed, hits.ToArray(), 5));
        Assert.Equal(new BlockPoolStats(3, 0, 1, 2), mgr.Blocks.Stats);
        Assert.True(mgr.TryAllocateSlots(7, seed, hits.ToArray(), 1));
        Assert.Equal(new BlockPoolStats(3, 3, 0, 0), mgr.Blocks.Stats);
    }

    [Fact]
    public void HashIsStableAndSensitiveToEveryToken()
    {
        var seed = BlockHash.Seed();
        int[] t = [1, 2, 3, 4];
        Assert.Equal(BlockHash.Of(seed, t), BlockHash.Of(seed, [1, 2, 3, 4]));
        for (int i = 0; i < 4; i++)
        {
            var u = (int[])t.Clone();
            u[i]++;
            Assert.NotEqual(BlockHash.Of(seed, t), BlockHash.Of(seed, u));
        }
        Assert.NotEqual(BlockHash.Of(seed, t), BlockHash.Of(BlockHash.Of(seed, t), t));
    }
}
