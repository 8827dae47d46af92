using Tokamak.Data;
using Tokamak.Data.Filters;

namespace Tokamak.Tests.Data;

public class FilterTests
{
    private static UnifiedExample Doc(string text) => new() { Content = text };

    private static string RandomText(Random rng, int words, int vocabulary = 5000) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => "w" + rng.Next(vocabulary)));

    [Fact]
    public void Normalizer_LowercasesStripsPunctuationCollapsesSpace()
    {
        Assert.Equal("hello world", TextNormalizer.Normalize("  Hello,  World!\n"));
        Assert.Equal("its 314", TextNormalizer.Normalize("It's 3.14")); // stripped, not replaced by spaces
        Assert.Equal("你好世界", TextNormalizer.Normalize("你好，世界。"));
    }

    [Fact]
    public void ExactDedup_CatchesNormalizedEqualTextOnly()
    {
        var f = new ExactDuplicateFilter();
        Assert.Null(f.Check(Doc("Hello, world!")));
        Assert.Equal(DropReasons.ExactDuplicate, f.Check(Doc("hello   WORLD")));
        Assert.Null(f.Check(Doc("hello world again")));
        // Conversation text counts all turns.
        var chat = new UnifiedExample { Turns = [new Turn(Role.User, "Q?"), new Turn(Role.Assistant, "A.")] };
        Assert.Null(f.Check(chat));
        Assert.Equal(DropReasons.ExactDuplicate, f.Check(new UnifiedExample { Turns = [new Turn(Role.User, "q"), new Turn(Role.Assistant, "a")] }));
    }

    private static double NaiveJaccard<T>(IEnumerable<T> a, IEnumerable<T> b)
    {
        var sa = a.ToHashSet();
        var sb = b.ToHashSet();
        int inter = sa.Count(sb.Contains);
        return (double)inter / (sa.Count + sb.Count - inter);
    }

    [Fact]
    public void NearDedup_OneWordChangeCaught_UnrelatedKept()
    {
        var rng = new Random(11);
        var words = RandomText(rng, 120).Split(' ');
        var original = string.Join(' ', words);
        words[60] = "replacement";
        var edited = string.Join(' ', words);
        var unrelated = RandomText(rng, 120);

        // Premise, computed independently: the shingle sets really are ≥ 0.8 similar.
        var j = NaiveJaccard(MinHasher.Shingles(original, 5), MinHasher.Shingles(edited, 5));
        Assert.InRange(j, 0.85, 0.95); // 111 of 121 5-grams shared

        var f = new NearDuplicateFilter(threshold: 0.8);
        Assert.Null(f.Check(Doc(original)));
        Assert.Null(f.Check(Doc(unrelated)));
        Assert.Equal(DropReasons.NearDuplicate, f.Check(Doc(edited)));
        Assert.Null(f.Check(Doc(RandomText(rng, 120))));
    }

    [Fact]
    public void MinHash_EstimateWithinPointOneOfExactJaccard()
    {
        var rng = new Random(1234);
        var hasher = new MinHasher(128);
        foreach (var overlap in new[] { 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 })
        {
            for (int trial = 0; trial < 3; trial++)
            {
                // |A| = |B| = 400, |A ∩ B| = overlap·400; elements are random 64-bit values.
                int shared = (int)(overlap * 400);
                var common = Enumerable.Range(0, shared).Select(_ => (ulong)rng.NextInt64()).ToList();
                var a = common.Concat(Enumerable.Range(0, 400 - shared).Select(_ => (ulong)rng.NextInt64())).ToList();
                var b = common.Concat(Enumerable.Range(0, 400 - shared).Select(_ => (ulong)rng.NextInt64())).ToList();
                double exact = NaiveJaccard(a, b);
                double est = MinHasher.EstimateJaccard(hasher.Signature(a), hasher.Signature(b));
                Assert.True(Math.Abs(est - exact) <= 0.1, $"overlap {overlap}: exact {exact:F3}, estimate {est:F3}");
            }
        }
    }

    [Fact]
    public void Lsh_BandingFitsThreshold_AndFindsIdenticalSignatures()
    {
        var idx = LshIndex.ForThreshold(128, 0.8);
        Assert.Equal(128, idx.Bands * idx.Rows);
        Assert.Equal((16, 8), (idx.Bands, idx.Rows)); // (1/16)^(1/8) ≈ 0.707 ≤ 0.75; 16 rows would give 0.878
        var hasher = new MinHasher(128);
        var sig = hasher.Signature("the quick brown fox jumps over the lazy dog again and again");
        idx.Add(0, sig);
        Assert.Contains(0, idx.Candidates(sig));
        Assert.Empty(idx.Candidates(hasher.Signature("completely different words with nothing whatsoever in common here")));
        Assert.Throws<ArgumentException>(() => idx.Candidates(new ulong[64]));
    }

    [Fact]
    public void Length_CharAndWordLimits()
    {
        var f = new LengthFilter { MinChars = 5, MaxChars = 40, MinWords = 2, MaxWords = 5 };
        Assert.Equal(DropReasons.TooFewChars, f.Check(Doc("abc")));
        Assert.Equal(DropReasons.TooManyChars, f.Check(Doc(new string('x', 41))));
        Assert.Equal(DropReasons.TooFewWords, f.Check(Doc("single")));
        Assert.Equal(DropReasons.TooManyWords, f.Check(Doc("one two three four five six")));
        Assert.Null(f.Check(Doc("one two three")));
        Assert.Equal(3, Words.Count("你好 world")); // 你, 好, world: each ideograph is a word
    }

    [Fact]
    public void ScriptRatio_CountsLettersByScript()
    {
        Assert.Equal(1.0, ScriptRatioFilter.Ratio("Hello, world! 123", Script.Latin));
        Assert.Equal(0.0, ScriptRatioFilter.Ratio("Привет мир", Script.Latin));
        Assert.Equal(5.0 / 7, ScriptRatioFilter.Ratio("Hello 世界", Script.Latin), 12);
        Assert.Equal(1.0, ScriptRatioFilter.Ratio("Hello 世界 こんにちは", Script.Latin | Script.Cjk));
        Assert.Equal(1.0, ScriptRatioFilter.Ratio("12345 !!!", Script.Latin)); // no letters

        var f = new ScriptRatioFilter(Script.Latin | Script.Cjk, 0.8);
        Assert.Null(f.Check(Doc("Ordinary English text with a word of 中文.")));
        Assert.Equal(DropReasons.ScriptRatio, f.Check(Doc("Это русский текст with a few English words")));
    }

    [Fact]
    public void RepeatedNgrams_SpamVersusProse()
    {
        // 8 words → 6 trigrams, only 2 distinct ("buy now buy", "now buy now").
        Assert.Equal(1 - 2.0 / 6, RepeatedNgramFilter.Ratio("buy now buy now buy now buy now", 3), 12);
        Assert.Equal(0.0, RepeatedNgramFilter.Ratio("the cat sat on the mat today", 3));
        var f = new RepeatedNgramFilter(3, 0.3);
        Assert.Equal(DropReasons.RepeatedNgrams, f.Check(Doc("click here click here click here click here click here")));
        Assert.Null(f.Check(Doc("the cat sat on the mat today")));
    }

    [Fact]
    public void Boilerplate_LinesRepeatedAcrossDocuments()
    {
        const string ad = "Subscribe to our newsletter for exclusive deals!";
        var rng = new Random(3);
        var docs = new List<UnifiedExample>();
        for (int i = 0; i < 6; i++) docs.Add(Doc($"{RandomText(rng, 40)}\n{ad}")); // long content + one ad line
        for (int i = 0; i < 3; i++) docs.Add(Doc($"{ad}\nClick: w{i}"));              // essentially only the ad
        docs.Add(Doc("Short unique note here"));

        var f = new BoilerplateFilter { MinDocuments = 3, MaxBoilerplateFraction = 0.5 };
        var verdicts = f.Evaluate(docs);
        Assert.Equal(Enumerable.Repeat<string?>(null, 6).Concat(Enumerable.Repeat<string?>(DropReasons.Boilerplate, 3)).Append(null), verdicts);
        Assert.Equal([f.LineKey(ad)!.Value], f.LastBoilerplateLines);

        // A line seen in fewer documents than required is not boilerplate.
        Assert.All(new BoilerplateFilter { MinDocuments = 20 }.Evaluate(docs), Assert.Null);
    }

    private sealed class LengthScorer : IPerplexityScorer
    {
        public double Score(string text) => text.Length;
    }

    [Fact]
    public void Percentile_MatchesHandComputedValues()
    {
        Assert.Equal(2.5, Percentile.Of([4, 1, 3, 2], 50));
        Assert.Equal(1, Percentile.Of([4, 1, 3, 2], 0));
        Assert.Equal(4, Percentile.Of([4, 1, 3, 2], 100));
        Assert.Equal(3.7, Percentile.Of([1, 2, 3, 4], 90), 12); // position 0.9·3 = 2.7 → 3 + 0.7·1
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentile.Of([1.0], 101));
    }

    [Fact]
    public void Perplexity_DropsAbovePercentile()
    {
        // Lengths 1..100 shuffled; the 90th percentile is 90.1, so exactly lengths 91..100 go.
        var rng = new Random(9);
        var docs = Enumerable.Range(1, 100).OrderBy(_ => rng.Next()).Select(n => Doc(new string('a', n))).ToList();
        var f = new PerplexityFilter(new LengthScorer(), 90);
        var verdicts = f.Evaluate(docs);
        Assert.Equal(90.1, f.LastThreshold, 9);
        for (int i = 0; i < docs.Count; i++)
            Assert.Equal(docs[i].Content!.Length > 90 ? DropReasons.Perplexity : null, verdicts[i]);
    }
}
