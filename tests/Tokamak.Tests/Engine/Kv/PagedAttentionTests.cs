using Tokamak.Engine.Kv;

namespace Tokamak.Tests.Engine.Kv;

public class PagedAttentionTests
{
    /// <summary>
    /// Independent expectation: causal softmax attention over contiguous K/V <c>[ctx, kvHeads, hd]</c> for queries
    /// <c>[nq, heads, hd]</c> at positions p0.., computed in double with a materialized score row.
    /// </summary>
    private static float[] NaiveAttention(float[] q, float[] k, float[] v, int p0, int heads, int kvHeads, int hd)
    {
        int nq = q.Length / (heads * hd);
        var o = new float[q.Length];
        for (int i = 0; i < nq; i++)
            for (int h = 0; h < heads; h++)
            {
                int g = h * kvHeads / heads;
                int len = p0 + i + 1;
                var w = new double[len];
                for (int t = 0; t < len; t++)
                {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += q[(i * heads + h) * hd + d] * (double)k[(t * kvHeads + g) * hd + d];
                    w[t] = dot / Math.Sqrt(hd);
                }
                double m = w.Max(), z = w.Sum(x => Math.Exp(x - m));
                for (int d = 0; d < hd; d++)
                {
                    double acc = 0;
                    for (int t = 0; t < len; t++) acc += Math.Exp(w[t] - m) / z * v[(t * kvHeads + g) * hd + d];
                    o[(i * heads + h) * hd + d] = (float)acc;
                }
            }
        return o;
    }

    private static float[] Rand(Random rng, int n, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (rng.NextSingle() * 2 - 1) * scale).ToArray();

    /// <summary>A sequence as the test sees it: contiguous K/V per layer plus its block table in the pool.</summary>
    private sealed class Seq(BlockTable table)
    {
        public BlockTable Table { get; set; } = table;
        public List<float>[] K { get; } = [[], []];
        public List<float>[] V { get; } = [[], []];
    }

    private static void AppendTokens(Seq s, int n, BlockPool blocks, KvPool kv, Random rng)
    {
        int start = s.Table.NumTokens;
        s.Table.Append(blocks, n, kv.CopyBlock);
        for (int l = 0; l < kv.Spec.Layers; l++)
        {
            // Keys scaled up so some softmax rows are sharp and the running-max rescale really matters.
            var k = Rand(rng, n * kv.Spec.KvDim, 3f);
            var v = Rand(rng, n * kv.Spec.KvDim);
            kv.Write(l, s.Table, start, k, v);
            s.K[l].AddRange(k);
            s.V[l].AddRange(v);
        }
    }

    [Theory]
    [InlineData(4, 2, 8, 4)]    // GQA 2:1, small blocks so contexts span many blocks
    [InlineData(8, 2, 16, 16)]  // GQA 4:1, default block size
    [InlineData(3, 3, 4, 5)]    // MHA, odd block size
    public void MatchesNaiveContiguousAttention_RaggedLengthsAndForkedBlocks(int heads, int kvHeads, int hd, int bs)
    {
        var rng = new Random(heads * 1000 + bs);
        var spec = new KvCacheSpec(layers: 2, kvHeads: kvHeads, headDim: hd, blockSize: bs);
        using var kv = new KvPool(spec, 128);
        var blocks = new BlockPool(128);

        var seqs = new List<Seq>();
        foreach (int len in new[] { 1, bs - 1, bs, 3 * bs + 1, 37 })
        {
            var s = new Seq(new BlockTable(bs));
            AppendTokens(s, Math.Max(1, len), blocks, kv, rng);
            seqs.Add(s);
        }
        // Fork the 37-token sequence twice and let the branches diverge: shared full blocks, copied partial one.
        var root = seqs[^1];
        for (int f = 0; f < 2; f++)
        {
            var child = new Seq(root.Table.Fork(blocks));
            for (int l = 0; l < 2; l++) { child.K[l].AddRange(root.K[l]); child.V[l].AddRange(root.V[l]); }
            AppendTokens(child, 3 + f * bs, blocks, kv, rng);
            seqs.Add(child);
        }
        AppendTokens(root, 2, blocks, kv, rng);
        Assert.True(blocks.RefCount(root.Table[0]) == 3);

        foreach (var s in seqs)
        {
            int ctx = s.Table.NumTokens;
            // Decode (last position only), a prefill chunk ending at ctx, and the whole prompt.
            foreach (int nq in new[] { 1, Math.Min(ctx, 5), ctx }.Distinct())
            {
                int p0 = ctx - nq;
                for (int layer = 0; layer < 2; layer++)
                {
                    var q = Rand(rng, nq * heads * hd);
                    int used = ctx * spec.KvDim;
                    var expected = NaiveAttention(q, s.K[layer].ToArray()[..used], s.V[layer].ToArray()[..used], p0, heads, kvHeads, hd);
                    var fast = new float[q.Length];
                    var scalar = new float[q.Length];
                    PagedAttention.Forward(kv, layer, s.Table, q, p0, heads, fast);
                    PagedAttention.Scalar(kv, layer, s.Table.Blocks, q, p0, heads, scalar);
                    for (int i = 0; i < q.Length; i++)
                    {
                        Assert.Equal(expected[i], fast[i], 1e-4f);
                        Assert.Equal(expected[i], scalar[i], 1e-5f);
                    }
                }
            }
        }
    }

    [Fact]
    public void LargePrefill_TakesTheParallelPath_AndStillMatches()
    {
        var rng = new Random(7);
        const int heads = 8, kvHeads = 2, hd = 32, bs = 16, ctx = 150;
        var spec = new KvCacheSpec(1, kvHeads, hd, bs);
        using var kv = new KvPool(spec, 16);
        var blocks = new BlockPool(16);
        // Scatter the table: allocate and drop some blocks first so logical order ≠ physical order.
        int[] hold = [blocks.Allocate(), blocks.Allocate(), blocks.Allocate()];
        var s = new Seq(new BlockTable(bs));
        blocks.Release(hold[1]);
        AppendTokens(s, ctx, blocks, kv, rng);
        Assert.NotEqual(Enumerable.Range(0, s.Table.Count), s.Table.Blocks.ToArray());

        var q = Rand(rng, ctx * heads * hd);
        var expected = NaiveAttention(q, [.. s.K[0]], [.. s.V[0]], 0, heads, kvHeads, hd);
        var fast = new float[q.Length];
        PagedAttention.Forward(kv, 0, s.Table, q, 0, heads, fast);
        for (int i = 0; i < q.Length; i++) Assert.Equal(expected[i], fast[i], 1e-4f);
    }

    [Fact]
    public void BadShapes_Throw()
    {
        var spec = new KvCacheSpec(1, 2, 4, 4);
        using var kv = new KvPool(spec, 4);
        var blocks = new BlockPool(4);
        var t = new BlockTable(4);
        t.Append(blocks, 5, null);
        Assert.Throws<ArgumentException>(() => PagedAttention.Forward(kv, 0, t, new float[3 * 4], 0, 3, new float[12]));   // heads not multiple of kv heads
        Assert.Throws<ArgumentException>(() => PagedAttention.Forward(kv, 0, t, new float[16], 0, 4, new float[8]));       // output size
        Assert.Throws<ArgumentException>(() => PagedAttention.Forward(kv, 0, t, new float[16], 8, 4, new float[16]));      // beyond table
        Assert.Throws<ArgumentOutOfRangeException>(() => PagedAttention.Forward(kv, 1, t, new float[16], 0, 4, new float[16]));
    }
}
