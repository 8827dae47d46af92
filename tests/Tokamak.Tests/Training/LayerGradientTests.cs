using Tokamak.Tensors.Kernels;
using Tokamak.Training;
using Tokamak.Training.Layers;

namespace Tokamak.Tests.Training;

/// <summary>Each layer's Backward against central finite differences of its Forward (objective Σ y·w).</summary>
public class LayerGradientTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 7, 13)]
    [InlineData(67, 70, 33)]
    [InlineData(130, 9, 100)]
    public void GemmMatchesScalarReference(int m, int n, int k)
    {
        var a = GradCheck.Random(m * k, 1);
        var b = GradCheck.Random(n * k, 2);
        var c0 = GradCheck.Random(m * n, 3);
        foreach (bool acc in new[] { false, true })
        {
            var c = (float[])c0.Clone();
            var r = (float[])c0.Clone();
            Gemm.MatMulTransB(a, b, c, m, n, k, acc);
            Gemm.MatMulTransBScalar(a, b, r, m, n, k, acc);
            for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(c[i] - r[i]) <= 1e-4f * (1 + Math.Abs(r[i])), $"acc={acc} c[{i}] {c[i]} vs {r[i]}");
        }
    }

    [Fact]
    public void LinearWithBias()
    {
        int n = 5, inDim = 6, outDim = 7;
        var x = GradCheck.Random(n * inDim, 1);
        var w = GradCheck.Random(outDim * inDim, 2);
        var b = GradCheck.Random(outDim, 3);
        var r = GradCheck.Random(n * outDim, 4);
        var y = new float[n * outDim];
        double F() { Linear.Forward(x, w, b, y, n, inDim, outDim); return GradCheck.Weighted(y, r); }
        F();
        // Forward against a hand-written dot product.
        for (int t = 0; t < n; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = b[o];
                for (int i = 0; i < inDim; i++) s += (double)x[t * inDim + i] * w[o * inDim + i];
                Assert.Equal(s, y[t * outDim + o], 4);
            }
        var dx = new float[x.Length]; var dw = new float[w.Length]; var db = new float[b.Length];
        Linear.Backward(r, x, w, dx, dw, db, n, inDim, outDim);
        GradCheck.Check("dx", x, dx, F);
        GradCheck.Check("dW", w, dw, F);
        GradCheck.Check("db", b, db, F);
    }

    [Fact]
    public void EmbeddingScattersRepeatedTokens()
    {
        int vocab = 6, dim = 4;
        int[] tokens = [2, 5, 2, 0];
        var table = GradCheck.Random(vocab * dim, 1);
        var r = GradCheck.Random(tokens.Length * dim, 2);
        var y = new float[tokens.Length * dim];
        double F() { Embedding.Forward(tokens, table, y, dim); return GradCheck.Weighted(y, r); }
        var d = new float[table.Length];
        Embedding.Backward(tokens, r, d, dim);
        GradCheck.Check("dTable", table, d, F);
        Assert.Throws<ArgumentException>(() => Embedding.Forward([6], table, y, dim));
    }

    [Fact]
    public void RmsNorm()
    {
        int n = 3, dim = 8;
        var x = GradCheck.Random(n * dim, 1);
        var w = GradCheck.Random(dim, 2, 2f);
        var r = GradCheck.Random(n * dim, 3);
        var y = new float[n * dim]; var rstd = new float[n];
        double F() { RmsNormLayer.Forward(x, w, y, rstd, n, dim, 1e-5f); return GradCheck.Weighted(y, r); }
        F();
        var dx = new float[x.Length]; var dw = new float[w.Length];
        RmsNormLayer.Backward(r, x, w, rstd, dx, dw, n, dim);
        GradCheck.Check("dx", x, dx, F);
        GradCheck.Check("dw", w, dw, F);
    }

    [Fact]
    public void LoraTrainsOnlyAdapterAndMatchesBaseWhenBIsZero()
    {
        int n = 4, inDim = 6, outDim = 5, rank = 2;
        float scale = 16f / rank, p = 0.25f;
        ulong seed = 42;
        var x = GradCheck.Random(n * inDim, 1);
        var w = GradCheck.Random(outDim * inDim, 2);
        var bias = GradCheck.Random(outDim, 3);
        var a = GradCheck.Random(rank * inDim, 4, 0.3f);
        var bMat = GradCheck.Random(outDim * rank, 5, 0.3f);
        var r = GradCheck.Random(n * outDim, 6);
        var y = new float[n * outDim]; var xDrop = new float[n * inDim]; var h = new float[n * rank];
        double F()
        {
            LoraLinear.Forward(x, w, bias, a, bMat, scale, p, seed, y, xDrop, h, n, inDim, outDim, rank);
            return GradCheck.Weighted(y, r);
        }
        F();
        var dx = new float[x.Length]; var dA = new float[a.Length]; var dB = new float[bMat.Length];
        LoraLinear.Backward(r, w, a, bMat, scale, p, seed, xDrop, h, dx, dA, dB, n, inDim, outDim, rank);
        GradCheck.Check("dx", x, dx, F);
        GradCheck.Check("dA", a, dA, F);
        GradCheck.Check("dB", bMat, dB, F);

        // With B = 0 (standard LoRA init) the adapter is invisible.
        var zeroB = new float[bMat.Length];
        var yBase = new float[y.Length];
        LoraLinear.Forward(x, w, bias, a, zeroB, scale, p, seed, y, xDrop, h, n, inDim, outDim, rank);
        Linear.Forward(x, w, bias, yBase, n, inDim, outDim);
        Assert.Equal(yBase, y);
    }

    [Fact]
    public void DropoutIsDeterministicAndUnbiased()
    {
        int n = 20000;
        var x = new float[n]; Array.Fill(x, 1f);
        var y1 = new float[n]; var y2 = new float[n];
        Dropout.Forward(x, y1, 0.3f, 7);
        Dropout.Forward(x, y2, 0.3f, 7);
        Assert.Equal(y1, y2);
        Dropout.Forward(x, y2, 0.3f, 8);
        Assert.NotEqual(y1, y2);
        double kept = y1.Count(v => v != 0) / (double)n;
        Assert.InRange(kept, 0.68, 0.72);
        Assert.All(y1.Where(v => v != 0), v => Assert.Equal(1f / 0.7f, v, 6));
        // Backward routes gradient exactly through the kept elements with the same scale.
        var dy = GradCheck.Random(n, 1);
        var dx = new float[n];
        Dropout.Backward(dy, dx, 0.3f, 7);
        for (int i = 0; i < n; i++) Assert.Equal(y1[i] == 0 ? 0.0 : dy[i] / 0.7, dx[i], 1e-5);
    }

    [Theory]
    [InlineData(RopeStyle.Neox)]
    [InlineData(RopeStyle.Interleaved)]
    public void RopeBackwardIsRotationByMinusAngle(RopeStyle style)
    {
        int heads = 2, d = 8;
        int[] pos = [0, 3, 1, 7];
        var rope = new RopeLayer(new RopeTable(d, 10000f), 16, style);
        var x = GradCheck.Random(pos.Length * heads * d, 1);
        var r = GradCheck.Random(x.Length, 2);
        var y = new float[x.Length];
        double F() { x.CopyTo(y, 0); rope.Forward(y, pos, heads, d); return GradCheck.Weighted(y, r); }
        var dx = (float[])r.Clone();
        rope.Backward(dx, pos, heads, d);
        GradCheck.Check("dx", x, dx, F);
        // Backward undoes forward (the rotation is orthogonal).
        F();
        rope.Backward(y, pos, heads, d);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 5);
    }

    [Fact]
    public void PackedGqaAttentionMatchesNaiveAndGradients()
    {
        int heads = 4, kvHeads = 2, d = 4;
        var seqs = PackedSequences.FromCuSeqlens([0, 3, 7]);
        int T = seqs.Tokens;
        var q = GradCheck.Random(T * heads * d, 1);
        var k = GradCheck.Random(T * kvHeads * d, 2);
        var v = GradCheck.Random(T * kvHeads * d, 3);
        var r = GradCheck.Random(T * heads * d, 4);
        var o = new float[q.Length]; var lse = new float[T * heads];
        double F() { CausalAttention.Forward(q, k, v, seqs, o, lse, heads, kvHeads, d); return GradCheck.Weighted(o, r); }
        F();
        var naive = NaiveAttention(q, k, v, [0, 0, 0, 1, 1, 1, 1], heads, kvHeads, d);
        for (int i = 0; i < o.Length; i++) Assert.Equal(naive[i], o[i], 5);

        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        CausalAttention.Backward(r, q, k, v, o, lse, seqs, dq, dk, dv, heads, kvHeads, d);
        GradCheck.Check("dq", q, dq, F);
        GradCheck.Check("dk", k, dk, F);
        GradCheck.Check("dv", v, dv, F);
    }

    [Fact]
    public void AttentionAcrossQueryBlocksMatchesNaiveAndGradients()
    {
        // Sequences longer than the 64-row query blocks, one ending mid-block.
        int heads = 4, kvHeads = 2, d = 8;
        var seqs = PackedSequences.FromCuSeqlens([0, 70, 200]);
        int T = seqs.Tokens;
        var q = GradCheck.Random(T * heads * d, 11);
        var k = GradCheck.Random(T * kvHeads * d, 12);
        var v = GradCheck.Random(T * kvHeads * d, 13);
        var r = GradCheck.Random(T * heads * d, 14);
        var o = new float[q.Length]; var lse = new float[T * heads];
        double F() { CausalAttention.Forward(q, k, v, seqs, o, lse, heads, kvHeads, d); return GradCheck.Weighted(o, r); }
        F();
        var naive = NaiveAttention(q, k, v, Enumerable.Range(0, T).Select(t => t < 70 ? 0 : 1).ToArray(), heads, kvHeads, d);
        for (int i = 0; i < o.Length; i++) Assert.Equal(naive[i], o[i], 4);
        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        CausalAttention.Backward(r, q, k, v, o, lse, seqs, dq, dk, dv, heads, kvHeads, d);
        GradCheck.Check("dq", q, dq, F);
        GradCheck.Check("dk", k, dk, F);
        GradCheck.Check("dv", v, dv, F);
    }

    // Full masked softmax in double over every key; masks future tokens and tokens of other sequences.
    private static float[] NaiveAttention(float[] q, float[] k, float[] v, int[] seqId, int heads, int kvHeads, int d)
    {
        int T = seqId.Length;
        var o = new float[q.Length];
        for (int t = 0; t < T; t++)
            for (int h = 0; h < heads; h++)
            {
                int kh = h / (heads / kvHeads);
                var s = new double[T];
                double max = double.NegativeInfinity;
                for (int j = 0; j < T; j++)
                {
                    if (j > t || seqId[j] != seqId[t]) { s[j] = double.NegativeInfinity; continue; }
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += (double)q[(t * heads + h) * d + i] * k[(j * kvHeads + kh) * d + i];
                    s[j] = dot / Math.Sqrt(d);
                    max = Math.Max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < T; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int j = 0; j < T; j++) acc += s[j] / sum * v[(j * kvHeads + kh) * d + i];
                    o[(t * heads + h) * d + i] = (float)acc;
                }
            }
        return o;
    }

    [Fact]
    public void SwiGluMlp()
    {
        int n = 3, dim = 5, inter = 7;
        var x = GradCheck.Random(n * dim, 1);
        var wg = GradCheck.Random(inter * dim, 2);
        var wu = GradCheck.Random(inter * dim, 3);
        var wd = GradCheck.Random(dim * inter, 4);
        var r = GradCheck.Random(n * dim, 5);
        var y = new float[n * dim]; var g = new float[n * inter]; var u = new float[n * inter]; var hh = new float[n * inter];
        double F() { Tokamak.Training.Layers.SwiGluMlp.Forward(x, wg, wu, wd, y, g, u, hh, n, dim, inter); return GradCheck.Weighted(y, r); }
        F();
        var dx = new float[x.Length]; var dwg = new float[wg.Length]; var dwu = new float[wu.Length]; var dwd = new float[wd.Length];
        Tokamak.Training.Layers.SwiGluMlp.Backward(r, x, wg, wu, wd, g, u, hh, dx, dwg, dwu, dwd, new float[3 * n * inter], n, dim, inter);
        GradCheck.Check("dx", x, dx, F);
        GradCheck.Check("dWgate", wg, dwg, F);
        GradCheck.Check("dWup", wu, dwu, F);
        GradCheck.Check("dWdown", wd, dwd, F);
    }

    [Fact]
    public void ResidualAdd()
    {
        var a = GradCheck.Random(6, 1); var b = GradCheck.Random(6, 2); var r = GradCheck.Random(6, 3);
        var y = new float[6];
        double F() { Residual.Forward(a, b, y); return GradCheck.Weighted(y, r); }
        var da = new float[6]; var db = new float[6];
        Residual.Backward(r, da, db);
        GradCheck.Check("da", a, da, F);
        GradCheck.Check("db", b, db, F);
    }

    [Fact]
    public void TiedLmHeadGradientsReachEmbedding()
    {
        int n = 3, dim = 4, vocab = 9;
        var x = GradCheck.Random(n * dim, 1);
        var e = GradCheck.Random(vocab * dim, 2);
        var r = GradCheck.Random(n * vocab, 3);
        var y = new float[n * vocab];
        double F() { TiedLmHead.Forward(x, e, y, n, dim, vocab); return GradCheck.Weighted(y, r); }
        var dx = new float[x.Length]; var de = new float[e.Length];
        TiedLmHead.Backward(r, x, e, dx, de, n, dim, vocab);
        GradCheck.Check("dx", x, dx, F);
        GradCheck.Check("dE", e, de, F);
    }

    [Fact]
    public void CrossEntropyWithIgnoreIndex()
    {
        int n = 4, vocab = 6;
        int[] targets = [2, CrossEntropy.IgnoreIndex, 5, 0];
        var logits = GradCheck.Random(n * vocab, 1, 3f);
        var losses = new float[n];
        double F() { var (s, c) = CrossEntropy.Forward(logits, targets, losses, vocab); return s / c; }
        double mean = F();
        // Independent: −log softmax in double, over the three counted rows.
        double expect = 0;
        foreach (int t in new[] { 0, 2, 3 })
        {
            double z = 0;
            for (int j = 0; j < vocab; j++) z += Math.Exp(logits[t * vocab + j]);
            expect += Math.Log(z) - logits[t * vocab + targets[t]];
        }
        Assert.Equal(expect / 3, mean, 5);
        var d = new float[logits.Length];
        CrossEntropy.Backward(logits, targets, d, 1f / 3, vocab);
        GradCheck.Check("dLogits", logits, d, F);
        Assert.All(d.AsSpan(vocab, vocab).ToArray(), g => Assert.Equal(0f, g));
        Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(logits, [6, 0, 0, 0], losses, vocab));
    }
}
