using Tokamak.Data;
using Tokamak.Data.Augmentation;
using Tokamak.Data.Filters;
using Tokamak.Data.Preparation;
using Tokamak.Models;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Data;

public class AugmentationAndScoringTests
{
    private static UnifiedExample Ask(string instruction) => new() { Turns = [new(Role.User, instruction), new(Role.Assistant, "ok")] };

    [Fact]
    public void Paraphraser_RewritesKnownInstructionsAtTheRatio_KeepingTheInput()
    {
        var p = new InstructionParaphraser(ratio: 0.3, seed: 5);
        int changed = 0;
        for (int i = 0; i < 2000; i++)
        {
            var e = p.Apply(Ask("Translate to English\nBonjour le monde"));
            var user = e.Turns[0].Content;
            Assert.EndsWith("\nBonjour le monde", user);
            var head = user[..user.IndexOf('\n')];
            Assert.Contains(head, ParaphraseGroup.Defaults.Single(g => g.Name == "translate_en").Phrasings);
            if (head != "Translate to English") changed++;
        }
        Assert.Equal(changed, p.Applied["translate_en"]);
        Assert.Equal(2000, p.Matched);
        Assert.InRange(changed, 600 - 90, 600 + 90); // binomial(2000, 0.3): ±4.4 sd
        // Same seed, same choices; unknown instructions and words that merely start with a phrase are left alone.
        var a = new InstructionParaphraser(1, seed: 9);
        var b = new InstructionParaphraser(1, seed: 9);
        Assert.Equal(a.Apply(Ask("Summarize: text")).Turns[0].Content, b.Apply(Ask("Summarize: text")).Turns[0].Content);
        Assert.Equal("Summarizer tools are fun", a.Apply(Ask("Summarizer tools are fun")).Turns[0].Content);
        Assert.Equal("Write a poem", a.Apply(Ask("Write a poem")).Turns[0].Content);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstructionParaphraser(1.5));
    }

    [Fact]
    public void ModelPerplexityScorer_MatchesANaiveSoftmaxAndRanksGibberishWorse()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        using var scorer = new ModelPerplexityScorer(m.Model, m.Tokenizer, maxTokens: 64);
        const string story = "Once upon a time, there was a little girl named Lily. She liked to play with her ball in the park.";
        double good = scorer.Score(story);
        double bad = scorer.Score("zq xv park ball vvv qqq the the lily xz ppp zz upon once girl q");
        Assert.True(good < bad, $"story {good:F2} vs gibberish {bad:F2}");

        // Naive reference: one full forward over all tokens, log-softmax per row in double.
        var ids = new[] { m.Tokenizer.BosId!.Value }.Concat(m.Tokenizer.Encode(story, addSpecialTokens: false)).Take(64).ToArray();
        int vocab = m.Config.VocabSize;
        var logits = new float[ids.Length * vocab];
        using (var state = m.Model.CreateState(ids.Length, ids.Length)) m.Model.Forward(state, ids, logits);
        double nll = 0;
        for (int i = 0; i + 1 < ids.Length; i++)
        {
            var row = logits.AsSpan(i * vocab, vocab);
            double max = double.NegativeInfinity;
            foreach (var l in row) max = Math.Max(max, l);
            double z = 0;
            foreach (var l in row) z += Math.Exp(l - max);
            nll += max + Math.Log(z) - row[ids[i + 1]];
        }
        Assert.Equal(Math.Exp(nll / (ids.Length - 1)), good, 1e-3 * good);
        Assert.Equal(double.PositiveInfinity, scorer.Score(""));
    }

    [Fact]
    public void MaskedText_WrapsExactlyTheMaskedRuns()
    {
        var tok = HfTokenizer.FromDirectory(TestPaths.Model("tinystories-656k"));
        var a = tok.Encode("Lily", false); var b = tok.Encode(" saw", false); var c = tok.Encode(" a dog", false);
        int[] ids = [.. a, .. b, .. c];
        bool[] mask = [.. a.Select(_ => false), .. b.Select(_ => true), .. c.Select(_ => false)];
        Assert.Equal($"⟦{tok.Decode(a)}⟧{tok.Decode(b)}⟦{tok.Decode(c)}⟧", MaskedText.Format(tok, ids, mask));
    }

    [Fact]
    public void HistogramBinsCountEveryLength()
    {
        var (width, counts) = LengthHistogramPlot.Bin([0, 1, 1, 99, 100], bins: 10);
        Assert.Equal(11, width); // ceil(101 / 10)
        Assert.Equal(5, counts.Sum());
        Assert.Equal(3, counts[0]);
        Assert.Equal(2, counts[^1]);
    }
}
