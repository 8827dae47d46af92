using Tokamak.Engine.Sampling;

namespace Tokamak.Tests.Engine.Sampling;

public class SamplerTests
{
    private static readonly float[] Logits = [2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f, 2.5f, -3.0f];

    /// <summary>The target distribution computed naively in double: softmax(logits / T).</summary>
    private static double[] Softmax(float[] logits, double t)
    {
        double max = logits.Max();
        var e = logits.Select(l => Math.Exp((l - max) / t)).ToArray();
        double s = e.Sum();
        return e.Select(x => x / s).ToArray();
    }

    private static int[] Histogram(SamplingParams p, int draws)
    {
        var s = new Sampler(Logits.Length, p);
        var counts = new int[Logits.Length];
        var work = new float[Logits.Length];
        for (int i = 0; i < draws; i++)
        {
            Logits.CopyTo(work, 0);
            counts[s.Sample(work)]++;
        }
        return counts;
    }

    [Fact]
    public void GreedyIsArgmax()
    {
        var s = new Sampler(Logits.Length, new SamplingParams { Temperature = 0 });
        Assert.Equal(3, s.Sample((float[])Logits.Clone()));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void TemperatureSamplingFollowsSoftmax(double t)
    {
        const int draws = 40000;
        var counts = Histogram(new SamplingParams { Temperature = (float)t, Seed = 1 }, draws);
        var expected = Softmax(Logits, t);
        for (int i = 0; i < Logits.Length; i++)
        {
            double sd = Math.Sqrt(draws * expected[i] * (1 - expected[i]));
            Assert.True(Math.Abs(counts[i] - draws * expected[i]) <= 5 * sd + 1, $"token {i}: {counts[i]} vs {draws * expected[i]:F0}");
        }
    }

    [Fact]
    public void TopKKeepsOnlyKMostLikelyRenormalized()
    {
        const int draws = 30000;
        var counts = Histogram(new SamplingParams { Temperature = 1, TopK = 3, Seed = 2 }, draws);
        int[] top3 = [3, 6, 0]; // logits 3.0, 2.5, 2.0
        var p = Softmax(Logits, 1);
        double mass = top3.Sum(i => p[i]);
        for (int i = 0; i < Logits.Length; i++)
        {
            if (!top3.Contains(i)) Assert.Equal(0, counts[i]);
            else Assert.InRange(counts[i] / (double)draws, p[i] / mass - 0.02, p[i] / mass + 0.02);
        }
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.8f)]
    [InlineData(0.95f)]
    public void TopPKeepsTheNucleus(float topP)
    {
        var p = Softmax(Logits, 1);
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToList();
        var nucleus = new HashSet<int>();
        double cum = 0;
        foreach (int i in order)
        {
            nucleus.Add(i);
            cum += p[i];
            if (cum >= topP) break;
        }
        var counts = Histogram(new SamplingParams { Temperature = 1, TopP = topP, Seed = 3 }, 20000);
        for (int i = 0; i < p.Length; i++)
            Assert.True(nucleus.Contains(i) ? counts[i] > 0 : counts[i] == 0, $"token {i} count {counts[i]} nucleus={nucleus.Contains(i)}");
    }

    [Fact]
    public void MinPDropsUnlikelyTokens()
    {
        var p = Softmax(Logits, 1);
        var counts = Histogram(new SamplingParams { Temperature = 1, MinP = 0.3f, Seed = 4 }, 20000);
        for (int i = 0; i < p.Length; i++)
            Assert.True(p[i] >= 0.3 * p.Max() ? counts[i] > 0 : counts[i] == 0, $"token {i}");
    }

    [Fact]
    public void SameSeedSameTokensDifferentSeedDifferent()
    {
        int[] Run(ulong seed)
        {
            var s = new Sampler(Logits.Length, new SamplingParams { Temperature = 1.5f, Seed = seed });
            return Enumerable.Range(0, 50).Select(_ => s.Sample((float[])Logits.Clone())).ToArray();
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void RepetitionPenaltyFollowsCtrlFormula()
    {
        // token 3 (logit 3.0) seen: 3.0 / 2 = 1.5 < token 6 (2.5): greedy moves to 6.
        var s = new Sampler(Logits.Length, new SamplingParams { Temperature = 0, RepetitionPenalty = 2f });
        s.AddPrompt([3]);
        var l = (float[])Logits.Clone();
        Assert.Equal(6, s.Sample(l));
        Assert.Equal(1.5f, l[3]);
        // negative logits are multiplied: -1 * 2 = -2
        s.AddPrompt([4]);
        l = (float[])Logits.Clone();
        s.Sample(l);
        Assert.Equal(-2f, l[4]);
    }

    [Fact]
    public void PresenceAndFrequencyPenaltiesCountOutputOnly()
    {
        var s = new Sampler(Logits.Length, new SamplingParams { Temperature = 0, PresencePenalty = 0.25f, FrequencyPenalty = 0.5f });
        s.AddPrompt([6]); // prompt tokens are not penalized by presence/frequency
        s.Accept(3);
        s.Accept(3);
        var l = (float[])Logits.Clone();
        s.Sample(l);
        Assert.Equal(3.0f - 2 * 0.5f - 0.25f, l[3], 5);
        Assert.Equal(2.5f, l[6]);
    }

    [Fact]
    public void MinTokensBlocksEos()
    {
        var s = new Sampler(Logits.Length, new SamplingParams { Temperature = 0, MinTokens = 2 }, eosIds: [3]);
        Assert.Equal(6, s.Sample((float[])Logits.Clone()));
        s.Accept(6);
        Assert.Equal(6, s.Sample((float[])Logits.Clone()));
        s.Accept(6);
        Assert.Equal(3, s.Sample((float[])Logits.Clone()));
        Assert.True(s.IsStopToken(3));
    }

    [Fact]
    public void LogprobsAreLogSoftmaxOfRawLogits()
    {
        var s = new Sampler(Logits.Length, new SamplingParams { TopLogprobs = 3, Logprobs = true });
        var lp = s.Logprobs(Logits, 0);
        var p = Softmax(Logits, 1);
        Assert.Equal(Math.Log(p[0]), lp.Logprob, 4);
        Assert.Equal([3, 6, 0], lp.Top.Select(t => t.Token));
        Assert.Equal(Math.Log(p[3]), lp.Top[0].Logprob, 4);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_k")]
    [InlineData("min_p")]
    [InlineData("max_tokens")]
    [InlineData("repetition_penalty")]
    public void OutOfRangeParametersAreRejectedByName(string name)
    {
        var p = name switch
        {
            "temperature" => new SamplingParams { Temperature = -1 },
            "top_p" => new SamplingParams { TopP = 1.5f },
            "top_k" => new SamplingParams { TopK = -5 },
            "min_p" => new SamplingParams { MinP = 2 },
            "max_tokens" => new SamplingParams { MaxTokens = 0 },
            _ => new SamplingParams { RepetitionPenalty = 0 },
        };
        var e = Assert.Throws<ArgumentException>(() => p.Validate());
        Assert.Contains(name, e.Message);
    }
}
