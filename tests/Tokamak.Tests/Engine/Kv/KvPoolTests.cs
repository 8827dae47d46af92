using Tokamak.Engine.Kv;

namespace Tokamak.Tests.Engine.Kv;

public unsafe class KvPoolTests
{
    [Fact]
    public void BlocksForBudget_DividesByBytesOfOneBlockAcrossLayersKAndV()
    {
        // 3 layers · (K+V) · 16 slots · 2 heads · 8 dims · 4 bytes = 6144 bytes per block.
        var spec = new KvCacheSpec(layers: 3, kvHeads: 2, headDim: 8);
        Assert.Equal(6144, spec.BytesPerBlock);
        Assert.Equal(4, KvPool.BlocksForBudget(4 * 6144 + 6143, spec));
        Assert.Equal(1, KvPool.BlocksForBudget(6144, spec));
        Assert.Throws<ArgumentException>(() => KvPool.BlocksForBudget(6143, spec));
    }

    [Fact]
    public void Spec_RejectsNonsense()
    {
        Assert.Throws<ArgumentException>(() => new KvCacheSpec(0, 1, 8).Validate());
        Assert.Throws<ArgumentException>(() => new KvCacheSpec(1, 1, 8, blockSize: 0).Validate());
        Assert.Throws<ArgumentException>(() => new KvPool(new KvCacheSpec(1, 1, 8), 0));
    }

    [Fact]
    public void Write_PlacesRowsAtTheDocumentedOffsets()
    {
        var spec = new KvCacheSpec(layers: 2, kvHeads: 2, headDim: 3, blockSize: 4);
        using var pool = new KvPool(spec, numBlocks: 5);
        var blocks = new BlockPool(5);
        var table = new BlockTable(4);
        blocks.Allocate(); // occupy block 0 so the table's blocks are not simply 0, 1
        table.Append(blocks, 6, pool.CopyBlock); // blocks 1, 2
        Assert.Equal(new[] { 1, 2 }, table.Blocks.ToArray());

        var k = new float[6 * 6];
        var v = new float[6 * 6];
        for (int i = 0; i < k.Length; i++) { k[i] = i + 1; v[i] = -(i + 1); }
        pool.Write(1, table, 0, k, v);

        // Buffer is [layers, 2, numBlocks, blockSize, kvHeads, headDim] floats.
        float* base0 = pool.KeyBase(0);
        for (int p = 0; p < 6; p++)
            for (int h = 0; h < 2; h++)
                for (int d = 0; d < 3; d++)
                {
                    int block = 1 + p / 4, slot = p % 4;
                    long kOff = ((1L * 2 + 0) * 5 + block) * 24 + (slot * 2 + h) * 3 + d;
                    long vOff = ((1L * 2 + 1) * 5 + block) * 24 + (slot * 2 + h) * 3 + d;
                    Assert.Equal(k[p * 6 + h * 3 + d], base0[kOff]);
                    Assert.Equal(v[p * 6 + h * 3 + d], base0[vOff]);
                }
        // Layer 0 untouched.
        Assert.All(pool.KeyBlock(0, 1).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Write_OutsideTheTable_Throws()
    {
        var spec = new KvCacheSpec(1, 1, 2, blockSize: 4);
        using var pool = new KvPool(spec, 2);
        var blocks = new BlockPool(2);
        var table = new BlockTable(4);
        table.Append(blocks, 3, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Write(0, table, 2, new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => pool.Write(0, table, 0, new float[3], new float[3]));
    }

    [Fact]
    public void CopyBlock_CopiesEveryLayerKAndV()
    {
        var spec = new KvCacheSpec(layers: 3, kvHeads: 1, headDim: 2, blockSize: 2);
        using var pool = new KvPool(spec, 3);
        var rng = new Random(1);
        for (int l = 0; l < 3; l++)
        {
            for (int i = 0; i < 4; i++) { pool.KeyBlock(l, 2)[i] = rng.NextSingle(); pool.ValueBlock(l, 2)[i] = rng.NextSingle(); }
        }
        pool.CopyBlock(2, 0);
        for (int l = 0; l < 3; l++)
        {
            Assert.Equal(pool.KeyBlock(l, 2).ToArray(), pool.KeyBlock(l, 0).ToArray());
            Assert.Equal(pool.ValueBlock(l, 2).ToArray(), pool.ValueBlock(l, 0).ToArray());
        }
    }
}
