using Tokamak.Engine.Kv;

namespace Tokamak.Tests.Engine.Kv;

/// <summary>The int8 KV pool: row quantization, paged attention on int8 K/V, copy-on-write of scales, block budget.</summary>
public class KvInt8Tests
{
    private static float[] Gauss(Random rng, int n, float scale) =>
        Enumerable.Range(0, n).Select(_ => scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

    [Fact]
    public void QuantizeRowKeepsEveryElementWithinHalfAStep()
    {
        var rng = new Random(1);
        var x = Gauss(rng, 64, 2f);
        var q = new sbyte[64];
        float s = KvPool.QuantizeRow(x, q);
        float amax = x.Max(MathF.Abs);
        Assert.Equal(amax / 127f, s, 1e-7f);
        Assert.Equal(127, q.Max(v => Math.Abs((int)v)));
        for (int i = 0; i < 64; i++) Assert.True(MathF.Abs(x[i] - s * q[i]) <= s / 2 * 1.0001f, $"element {i}: {x[i]} vs {s * q[i]}");
        Assert.Equal(0f, KvPool.QuantizeRow(new float[8], q.AsSpan(0, 8)));
        Assert.All(q[..8], v => Assert.Equal(0, v));
    }

    /// <summary>
    /// Same K/V written to an F32 and an Int8 pool through the same forked block tables. The int8 kernels must equal the
    /// double-precision reference on the dequantized values (1e-4), and differ from F32 attention only by the
    /// quantization error. For unit-variance K, V, q a step is max|x|/127 ≈ 0.025 (error ≤ half, std ≈ 0.007), so a
    /// score moves by ≈ 0.007 and an output by about as much: mean |Δ| &lt; 0.005, max |Δ| &lt; 0.04 over all outputs.
    /// </summary>
    [Theory]
    [InlineData(8, 2, 16, 4)]
    [InlineData(4, 4, 64, 16)]
    public void Int8PagedAttentionMatchesItsReferenceAndStaysCloseToF32(int heads, int kvHeads, int hd, int bs)
    {
        var rng = new Random(heads + hd);
        using var f32 = new KvPool(new KvCacheSpec(2, kvHeads, hd, bs), 64);
        using var i8 = new KvPool(new KvCacheSpec(2, kvHeads, hd, bs, KvCacheDType.Int8), 64);
        var blocks = new BlockPool(64);
        var root = new BlockTable(bs);
        void Append(BlockTable t, int n)
        {
            int start = t.NumTokens;
            // Copy-on-write must copy both pools' blocks: the two pools share one allocator.
            t.Append(blocks, n, (a, b) => { f32.CopyBlock(a, b); i8.CopyBlock(a, b); });
            for (int l = 0; l < 2; l++)
            {
                var k = Gauss(rng, n * kvHeads * hd, 1f);
                var v = Gauss(rng, n * kvHeads * hd, 1f);
                f32.Write(l, t, start, k, v);
                i8.Write(l, t, start, k, v);
            }
        }
        Append(root, 3 * bs + 2);
        var child = root.Fork(blocks);
        Append(child, bs + 1);   // the partial block is copied (with its scales) before the child writes
        Append(root, 2);

        double maxDiff = 0, sumDiff = 0;
        long count = 0;
        foreach (var t in new[] { root, child })
        {
            int ctx = t.NumTokens;
            foreach (int nq in new[] { 1, 5, ctx })
                for (int layer = 0; layer < 2; layer++)
                {
                    int p0 = ctx - nq;
                    var q = Gauss(rng, nq * heads * hd, 1f);
                    var fast = new float[q.Length];
                    var reference = new float[q.Length];
                    var exact = new float[q.Length];
                    PagedAttention.Forward(i8, layer, t, q, p0, heads, fast);
                    PagedAttention.Scalar(i8, layer, t.Blocks, q, p0, heads, reference);
                    PagedAttention.Scalar(f32, layer, t.Blocks, q, p0, heads, exact);
                    for (int i = 0; i < q.Length; i++)
                    {
                        Assert.Equal(reference[i], fast[i], 1e-4f);
                        maxDiff = Math.Max(maxDiff, Math.Abs(exact[i] - fast[i]));
                        sumDiff += Math.Abs(exact[i] - fast[i]);
                        count++;
                    }
                }
        }
        Assert.True(maxDiff < 0.04, $"int8 vs f32 attention differs by up to {maxDiff}");
        Assert.True(sumDiff / count < 0.005, $"int8 vs f32 attention differs by {sumDiff / count} on average");
        Assert.True(maxDiff > 0, "int8 attention should not be bit-identical to f32");

        // The batched kernel over both sequences at once (one decode token each).
        var batch = new PagedBatch();
        batch.Add([0], root.NumTokens - 1, root.Blocks, true);
        batch.Add([0], child.NumTokens - 1, child.Blocks, true);
        var qb = Gauss(rng, 2 * heads * hd, 1f);
        var ob = new float[qb.Length];
        PagedAttention.ForwardBatch(i8, 1, batch, qb, heads, ob);
        var r0 = new float[heads * hd];
        var r1 = new float[heads * hd];
        PagedAttention.Scalar(i8, 1, root.Blocks, qb.AsSpan(0, heads * hd), root.NumTokens - 1, heads, r0);
        PagedAttention.Scalar(i8, 1, child.Blocks, qb.AsSpan(heads * hd), child.NumTokens - 1, heads, r1);
        for (int i = 0; i < heads * hd; i++)
        {
            Assert.Equal(r0[i], ob[i], 1e-4f);
            Assert.Equal(r1[i], ob[heads * hd + i], 1e-4f);
        }
    }

    [Fact]
    public void CopyBlockCopiesDataAndScales()
    {
        var spec = new KvCacheSpec(2, 2, 8, 4, KvCacheDType.Int8);
        using var pool = new KvPool(spec, 3);
        var rng = new Random(5);
        var k = Gauss(rng, 4 * 16, 3f);
        var v = Gauss(rng, 4 * 16, 0.5f);
        for (int l = 0; l < 2; l++) pool.WriteAt(l, [0], 0, k, v);
        pool.CopyBlock(0, 2);
        var a = new float[16];
        var b = new float[16];
        for (int l = 0; l < 2; l++)
            for (int s = 0; s < 4; s++)
            {
                pool.ReadKey(l, 0, s, a);
                pool.ReadKey(l, 2, s, b);
                Assert.Equal(a, b);
                for (int i = 0; i < 16; i++)
                {
                    float amax = k.AsSpan(s * 16 + i / 8 * 8, 8).ToArray().Max(MathF.Abs); // the head row's range
                    Assert.Equal(k[s * 16 + i], a[i], amax / 254 * 1.001f);
                }
                pool.ReadValue(l, 0, s, a);
                pool.ReadValue(l, 2, s, b);
                Assert.Equal(a, b);
            }
        Assert.Throws<InvalidOperationException>(() => pool.KeyBlock(0, 0));
    }

    [Theory]
    [InlineData(2, 4, 16, 16)]    // tinystories-656k: 64 B per f32 head row vs 16 + 4
    [InlineData(24, 2, 64, 16)]   // Qwen2.5-0.5B: 256 B vs 64 + 4
    public void Int8FitsTheBlocksItsBytesAllow(int layers, int kvHeads, int hd, int bs)
    {
        long budget = 64L << 20;
        int f32 = KvPool.BlocksForBudget(budget, new KvCacheSpec(layers, kvHeads, hd, bs));
        int i8 = KvPool.BlocksForBudget(budget, new KvCacheSpec(layers, kvHeads, hd, bs, KvCacheDType.Int8));
        // Independent count: per layer, K and V, per slot and kv head: hd bytes of int8 plus a 4-byte scale.
        Assert.Equal(budget / ((long)layers * 2 * bs * kvHeads * (hd + 4)), i8);
        Assert.Equal(budget / ((long)layers * 2 * bs * kvHeads * hd * 4), f32);
        Assert.InRange((double)i8 / f32, 4.0 * hd / (hd + 4) * 0.99, 4.0 * hd / (hd + 4) * 1.01);
        using var pool = new KvPool(new KvCacheSpec(layers, kvHeads, hd, bs, KvCacheDType.Int8), 7);
        Assert.True(pool.ByteLength <= 7 * new KvCacheSpec(layers, kvHeads, hd, bs, KvCacheDType.Int8).BytesPerBlock + 64);
    }

    [Fact]
    public void ParsesTheCliNames()
    {
        Assert.Equal(KvCacheDType.Int8, KvCacheSpec.ParseDType("INT8"));
        Assert.Equal(KvCacheDType.F32, KvCacheSpec.ParseDType("f32"));
        var e = Assert.Throws<ArgumentException>(() => KvCacheSpec.ParseDType("fp8"));
        Assert.Contains("fp8", e.Message);
    }
}
