using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Models;
using Tokamak.Models.Architectures;

namespace Tokamak.Tests.Engine;

/// <summary>The batched paged forward against the single-sequence contiguous-cache forward, sequence by sequence.</summary>
public class PagedForwardTests
{
    [Theory]
    [InlineData("tinystories-656k", 8)]
    [InlineData("stories260k/stories260K.gguf", 5)]
    public void BatchedChunkedStepsMatchSingleSequenceLogits(string model, int blockSize)
    {
        using var w = WeightsLoader.Load(TestPaths.Model(model));
        var m = new LlamaModel(w.Config, w.Weights);
        var rng = new Random(7);
        int[] Prompt(int len) => Enumerable.Range(0, len).Select(_ => rng.Next(3, w.Config.VocabSize)).ToArray();
        int[] a = Prompt(7), b = Prompt(19), c = Prompt(33);
        int aNext = rng.Next(3, w.Config.VocabSize);

        var spec = new KvCacheSpec(w.Config.Layers, w.Config.KvHeads, w.Config.HeadDim, blockSize);
        using var pool = new KvPool(spec, 64);
        var blocks = new BlockPool(64);
        var ta = new BlockTable(blockSize);
        var tb = new BlockTable(blockSize);
        var tc = new BlockTable(blockSize);
        using var state = new PagedForwardState(w.Config, 4, 1); // deliberately small: must grow
        var batch = new PagedBatch();

        // Step 1: A's whole prompt, B's first chunk (no logits), C's first 16 tokens (no logits).
        ta.Append(blocks, 7, pool.CopyBlock);
        tb.Append(blocks, 10, pool.CopyBlock);
        tc.Append(blocks, 16, pool.CopyBlock);
        batch.Clear();
        int ra = batch.Add(a, 0, ta.Blocks, true);
        Assert.Equal(-1, batch.Add(b.AsSpan(0, 10), 0, tb.Blocks, false));
        Assert.Equal(-1, batch.Add(c.AsSpan(0, 16), 0, tc.Blocks, false));
        m.ForwardPaged(batch, pool, state);
        AssertClose(Reference(m, a), state.Logits(ra));

        // Step 2: A decodes one token, B and C finish their prompts.
        ta.Append(blocks, 1, pool.CopyBlock);
        tb.Append(blocks, 9, pool.CopyBlock);
        tc.Append(blocks, 17, pool.CopyBlock);
        batch.Clear();
        ra = batch.Add([aNext], 7, ta.Blocks, true);
        int rb = batch.Add(b.AsSpan(10), 10, tb.Blocks, true);
        int rc = batch.Add(c.AsSpan(16), 16, tc.Blocks, true);
        m.ForwardPaged(batch, pool, state);
        AssertClose(Reference(m, [.. a, aNext]), state.Logits(ra));
        AssertClose(Reference(m, b), state.Logits(rb));
        AssertClose(Reference(m, c), state.Logits(rc));
    }

    [Fact]
    public void RejectsATableThatDoesNotCoverTheStep()
    {
        using var w = WeightsLoader.Load(TestPaths.Model("stories260k/stories260K.gguf"));
        var m = new LlamaModel(w.Config, w.Weights);
        var spec = new KvCacheSpec(w.Config.Layers, w.Config.KvHeads, w.Config.HeadDim, 4);
        using var pool = new KvPool(spec, 4);
        using var state = new PagedForwardState(w.Config, 8, 1);
        var batch = new PagedBatch();
        batch.Add([5, 6, 7, 8, 9], 0, [0], true);
        Assert.Throws<ArgumentException>(() => m.ForwardPaged(batch, pool, state));
    }

    private static float[] Reference(LlamaModel m, int[] tokens)
    {
        using var s = m.CreateState(64);
        m.Forward(s, tokens);
        return s.Logits.ToArray();
    }

    private static void AssertClose(float[] expected, Span<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = MathF.Max(max, MathF.Abs(expected[i] - actual[i]));
        Assert.True(max <= 1e-4f, $"max |logit diff| {max} > 1e-4");
    }
}
