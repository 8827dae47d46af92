using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Engine.Sampling;
using Tokamak.Models.Architectures;
using Xunit.Abstractions;

namespace Tokamak.Tests.Engine;

/// <summary>
/// <c>--kv-cache-dtype int8</c> end to end on tinystories-656k: greedy output against the F32 single-sequence decoder,
/// prefix-cache reuse of int8 blocks, and perplexity/KL through the paged forward with an F32 vs an int8 pool.
/// </summary>
public class KvInt8EngineTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private static SamplingParams Greedy(int maxTokens) => new() { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true };

    private static long Int8BlockBytes(EngineTestModel m, int bs) =>
        new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, bs, KvCacheDType.Int8).BytesPerBlock;

    [Fact]
    public async Task Int8GreedyKeepsTheF32TokensAndTheBudgetHoldsMoreBlocks()
    {
        using var m = new EngineTestModel();
        long bytes = 256 * new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, 16).BytesPerBlock;
        using var f32 = m.Engine(new EngineOptions { KvCacheBytes = bytes });
        using var engine = m.Engine(new EngineOptions { KvCacheBytes = bytes, KvCacheDType = KvCacheDType.Int8 });
        Assert.Equal(256, f32.NumKvBlocks);
        Assert.Equal(bytes / Int8BlockBytes(m, 16), engine.NumKvBlocks);
        Assert.True(engine.NumKvBlocks >= 3 * f32.NumKvBlocks);
        for (int i = 0; i < 4; i++)
        {
            var prompt = m.Encode(LlmEngineTests.Prompts[i]);
            var want = m.Greedy(prompt, 24, ignoreEos: true);
            var got = (await EngineTestModel.Collect(engine.Submit(new EngineRequest { RequestId = $"r{i}", PromptTokenIds = prompt, Sampling = Greedy(24) })).WaitAsync(Limit)).Tokens[0];
            int same = 0;
            while (same < want.Count && want[same] == got[same]) same++;
            output.WriteLine($"prompt {i}: {same} of 24 greedy tokens equal to F32");
            Assert.True(same >= 12, $"prompt {i}: int8 KV diverged from F32 greedy at token {same}");
        }
    }

    [Fact]
    public async Task CachedInt8PrefixGivesTheSameTokensAsRecomputingIt()
    {
        using var m = new EngineTestModel();
        const int bs = 16;
        var start = m.Encode(LlmEngineTests.Prompts[0]);
        int[] prefix = [.. start, .. m.Greedy(start, 200 - start.Length, ignoreEos: true)];
        int[] a = [.. prefix, .. m.Encode(LlmEngineTests.Prompts[1])[2..]];
        int[] b = [.. prefix, .. m.Encode(LlmEngineTests.Prompts[3])[2..]];
        var options = new EngineOptions { KvCacheBytes = 128 * Int8BlockBytes(m, bs), BlockSize = bs, KvCacheDType = KvCacheDType.Int8 };

        using var cached = m.Engine(options);
        await EngineTestModel.Collect(cached.Submit(new EngineRequest { RequestId = "a", PromptTokenIds = a, Sampling = Greedy(12) })).WaitAsync(Limit);
        var rb = await EngineTestModel.Collect(cached.Submit(new EngineRequest { RequestId = "b", PromptTokenIds = b, Sampling = Greedy(12) })).WaitAsync(Limit);
        Assert.Equal(200 / bs * bs, rb.Usage!.CachedPromptTokens);

        using var fresh = m.Engine(options with { EnablePrefixCaching = false });
        var rf = await EngineTestModel.Collect(fresh.Submit(new EngineRequest { RequestId = "b", PromptTokenIds = b, Sampling = Greedy(12) })).WaitAsync(Limit);
        Assert.Equal(0, rf.Usage!.CachedPromptTokens);
        Assert.Equal(rf.Tokens[0], rb.Tokens[0]);
    }

    /// <summary>Teacher-forced next-token log-probabilities along <paramref name="tokens"/>, one decode step per token.</summary>
    private static double[][] PagedLogprobs(LlamaModel model, KvCacheSpec spec, int[] tokens)
    {
        using var pool = new KvPool(spec, spec.BlocksForTokens(tokens.Length));
        var blocks = new BlockPool(pool.NumBlocks);
        var table = new BlockTable(spec.BlockSize);
        using var state = new PagedForwardState(model.Config, 1, 1);
        var batch = new PagedBatch();
        var result = new double[tokens.Length - 1][];
        for (int p = 0; p < tokens.Length - 1; p++)
        {
            table.Append(blocks, 1, pool.CopyBlock);
            batch.Clear();
            int row = batch.Add(tokens.AsSpan(p, 1), p, table.Blocks, true);
            model.ForwardPaged(batch, pool, state);
            var l = state.Logits(row);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float x in l) max = Math.Max(max, x);
            foreach (float x in l) sum += Math.Exp(x - max);
            double logZ = max + Math.Log(sum);
            result[p] = new double[l.Length];
            for (int i = 0; i < l.Length; i++) result[p][i] = l[i] - logZ;
        }
        return result;
    }

    [Fact]
    public void Int8KvChangesPerplexityByLessThanOnePercent()
    {
        using var m = new EngineTestModel();
        string text = File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt"));
        var tokens = m.Encode(text).Take(384).ToArray();
        var spec = new KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, 16);
        var baseLp = PagedLogprobs(m.Model, spec, tokens);
        var int8Lp = PagedLogprobs(m.Model, spec with { DType = KvCacheDType.Int8 }, tokens);
        double nllBase = 0, nllInt8 = 0, kl = 0;
        int top1 = 0;
        for (int p = 0; p < baseLp.Length; p++)
        {
            nllBase -= baseLp[p][tokens[p + 1]];
            nllInt8 -= int8Lp[p][tokens[p + 1]];
            for (int i = 0; i < baseLp[p].Length; i++) kl += Math.Exp(baseLp[p][i]) * (baseLp[p][i] - int8Lp[p][i]);
            if (Array.IndexOf(baseLp[p], baseLp[p].Max()) == Array.IndexOf(int8Lp[p], int8Lp[p].Max())) top1++;
        }
        double pplBase = Math.Exp(nllBase / baseLp.Length), pplInt8 = Math.Exp(nllInt8 / baseLp.Length);
        output.WriteLine($"{baseLp.Length} positions: PPL f32 KV {pplBase:F4}, int8 KV {pplInt8:F4} ({(pplInt8 / pplBase - 1) * 100:+0.000;-0.000}%), mean KL {kl / baseLp.Length:G4}, top-1 {100.0 * top1 / baseLp.Length:F2}%");
        Assert.True(Math.Abs(pplInt8 / pplBase - 1) < 0.01, $"PPL {pplBase} → {pplInt8}");
        Assert.True(kl / baseLp.Length < 0.01, $"mean KL {kl / baseLp.Length}");
        Assert.NotEqual(nllBase, nllInt8);
    }
}
