using System.Diagnostics;
using Tokamak.Data;
using Tokamak.Data.Filters;

namespace Tokamak.Tests.Data;

/// <summary>
/// Dedup on a generated corpus of 100k documents (50 words each from a seeded 5000-word vocabulary) with planted
/// exact duplicates (same text up to case, punctuation and spacing), near duplicates (a copy with two words replaced)
/// and hard negatives (a document sharing its first 20 words with an earlier one, Jaccard ≈ 0.2).
/// </summary>
public class NearDuplicateCorpusTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private enum Kind { Original, Exact, Near, Overlap }

    [Fact]
    public void FindsPlantedNearDuplicates_WithHighRecallAndFewFalsePositives_AndExactDedupIsExact()
    {
        const int N = 100_000, Words = 50;
        var rng = new Random(20261125);
        var vocab = Enumerable.Range(0, 5000).Select(_ => new string(Enumerable.Range(0, rng.Next(3, 9)).Select(_ => (char)('a' + rng.Next(26))).ToArray())).Distinct().ToArray();
        string[] Fresh() => Enumerable.Range(0, Words).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
        var docs = new List<string[]>(N);
        var texts = new List<string>(N);
        var kinds = new Kind[N];
        for (int i = 0; i < N; i++)
        {
            double u = rng.NextDouble();
            var kind = i < 1000 ? Kind.Original : u < 0.05 ? Kind.Exact : u < 0.10 ? Kind.Near : u < 0.15 ? Kind.Overlap : Kind.Original;
            string[] words;
            string text;
            if (kind == Kind.Original) { words = Fresh(); text = string.Join(' ', words); }
            else
            {
                int src = rng.Next(i);
                while (kinds[src] != Kind.Original) src = rng.Next(i);
                words = (string[])docs[src].Clone();
                if (kind == Kind.Exact)
                    text = "  " + string.Join("  ", words.Select((w, k) => k % 7 == 0 ? w.ToUpperInvariant() : w)) + "!"; // same normalized text
                else
                {
                    if (kind == Kind.Near)
                        for (int e = 0; e < 2; e++) words[rng.Next(Words)] = vocab[rng.Next(vocab.Length)];
                    else
                    {
                        var fresh = Fresh();
                        for (int k = 20; k < Words; k++) words[k] = fresh[k];
                    }
                    text = string.Join(' ', words);
                }
            }
            kinds[i] = kind;
            docs.Add(words);
            texts.Add(text);
        }

        var sw = Stopwatch.StartNew();
        var exact = new ExactDuplicateFilter();
        var near = new NearDuplicateFilter(threshold: 0.7, permutations: 128, shingleSize: 3);
        int exactFound = 0, exactWrong = 0, nearFound = 0, falsePositives = 0, negatives = 0;
        int plantedNear = kinds.Count(k => k == Kind.Near);
        for (int i = 0; i < N; i++)
        {
            var e = new UnifiedExample { Content = texts[i] };
            if (exact.Check(e) != null)
            {
                if (kinds[i] == Kind.Exact) exactFound++; else exactWrong++;
                continue;
            }
            Assert.NotEqual(Kind.Exact, kinds[i]); // every planted exact copy must have been caught above
            bool dropped = near.Check(e) != null;
            if (kinds[i] == Kind.Near) { if (dropped) nearFound++; }
            else
            {
                negatives++;
                if (dropped) falsePositives++;
            }
        }
        output.WriteLine($"{N} docs in {sw.Elapsed.TotalSeconds:F1}s; exact {exactFound}/{kinds.Count(k => k == Kind.Exact)}, near {nearFound}/{plantedNear}, false positives {falsePositives}/{negatives}");
        Assert.Equal(kinds.Count(k => k == Kind.Exact), exactFound);
        Assert.Equal(0, exactWrong);
        Assert.True(nearFound >= 0.95 * plantedNear, $"near-dup recall {nearFound}/{plantedNear}");
        Assert.True(falsePositives <= 0.01 * negatives, $"false positives {falsePositives}/{negatives}");
        Assert.True(kinds.Count(k => k == Kind.Overlap) > 4000); // the hard negatives are really in the corpus
    }
}
