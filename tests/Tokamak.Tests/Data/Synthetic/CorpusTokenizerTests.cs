using System.Text.Json;
using Tokamak.Data.Synthetic;
using Tokamak.Text.Tokenizers;
using Tokamak.Text.Tokenizers.Hf;
using Tokamak.Text.Tokenizers.Training;

namespace Tokamak.Tests.Data.Synthetic;

/// <summary>Trains the corpus tokenizer once, writes it as HF files, and loads it back with the runtime tokenizer.</summary>
public sealed class TrainedTokenizer : IDisposable
{
    public TrainedTokenizer()
    {
        Train = TrainingSet.Generate(new CorpusOptions { Seed = 3, Stories = 400, Questions = 2000, Chats = 80, StoryChats = 10, ToolCalls = 40 });
        HeldOut = HeldOutSet.Generate(HeldOutSplit.DefaultFraction, 10, 20);
        Directory = Path.Combine(Path.GetTempPath(), $"tokamak-tok-{Guid.NewGuid():N}");
        Vocabulary = CorpusTokenizer.TrainAndWrite(Train, Directory, 1024, 512);
        Tokenizer = HfTokenizer.FromDirectory(Directory);
    }

    public TrainingSet Train { get; }
    public HeldOutSet HeldOut { get; }
    public string Directory { get; }
    public BpeVocabulary Vocabulary { get; }
    public HfTokenizer Tokenizer { get; }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public class CorpusTokenizerTests(TrainedTokenizer t) : IClassFixture<TrainedTokenizer>
{
    [Fact]
    public void Trainer_HandWorkedExample()
    {
        // Pieces: "ab", "Ġab", "Ġab", "Ġabc". Pairs: (a,b)×4, (Ġ,a)×3, (b,c)×1 → merge a+b. Then (Ġ,ab)×3, (ab,c)×1 →
        // merge Ġ+ab. Then only (Ġab,c)×1 is left, below the minimum frequency of 2.
        var v = BpeTrainer.Train(["ab ab ab abc"], vocabSize: 300);
        Assert.Equal([("a", "b"), ("Ġ", "ab")], v.Merges);
        Assert.Equal(258, v.Tokens.Count);
        Assert.Equal("Ġab", v.Tokens[257]);
        // The first 256 tokens are the byte alphabet in byte order.
        Assert.Equal("Ġ", v.Tokens[' ']);
        Assert.Equal("A", v.Tokens['A']);
    }

    [Fact]
    public void Trainer_StopsAtTheRequestedSize()
    {
        var v = BpeTrainer.Train(t.Train.Stories.Take(50), vocabSize: 270);
        Assert.Equal(270, v.Tokens.Count);
        Assert.Equal(14, v.Merges.Count);
    }

    [Fact]
    public void RoundTrip_EveryTrainingAndHeldOutText()
    {
        var texts = CorpusTokenizer.Texts(t.Train).Concat(t.HeldOut.Stories).Concat(t.HeldOut.Questions.Select(q => q.Question))
            .Append("Unseen: Zürich, naïve café — 😀 1234567 tabs\tand\nnewlines.");
        int n = 0;
        foreach (var text in texts)
        {
            var ids = t.Tokenizer.Encode(text, addSpecialTokens: true);
            Assert.Equal(text, t.Tokenizer.Decode(ids));
            n++;
        }
        Assert.True(n > 2000);
    }

    [Fact]
    public void Encode_MatchesANaiveMergeByRankReference()
    {
        var rank = new Dictionary<(string, string), int>();
        for (int i = 0; i < t.Vocabulary.Merges.Count; i++) rank[t.Vocabulary.Merges[i]] = i;
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < t.Vocabulary.Tokens.Count; i++) ids[t.Vocabulary.Tokens[i]] = TokenizerFilesWriter.FirstBpeId + i;
        using var pre = JsonDocument.Parse(BpeTrainer.PreTokenizerJson);
        var preTokenizer = HfPreTokenizer.FromJson(pre.RootElement)!;

        foreach (var text in t.HeldOut.Stories.Take(10).Concat(t.HeldOut.Questions.Select(q => q.Question)))
        {
            var expected = new List<int>();
            foreach (var piece in preTokenizer.PreTokenize([text], true))
            {
                var symbols = piece.Select(c => c.ToString()).ToList();
                while (true)
                {
                    // The lowest-ranked adjacent pair, leftmost first, merged one at a time.
                    int best = -1, bestRank = int.MaxValue;
                    for (int i = 0; i + 1 < symbols.Count; i++)
                        if (rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) (best, bestRank) = (i, r);
                    if (best < 0) break;
                    symbols[best] += symbols[best + 1];
                    symbols.RemoveAt(best + 1);
                }
                expected.AddRange(symbols.Select(s => ids[s]));
            }
            Assert.Equal(expected, t.Tokenizer.Encode(text, addSpecialTokens: false));
        }
    }

    [Fact]
    public void Digits_AreAlwaysSingleTokens()
    {
        var ids = t.Tokenizer.Encode("What is 47 + 385?", addSpecialTokens: false);
        var pieces = ids.Select(t.Tokenizer.TokenToPiece).ToList();
        Assert.Contains("4", pieces);
        Assert.Contains("7", pieces);
        Assert.Contains("3", pieces);
        Assert.DoesNotContain(pieces, p => p.Count(char.IsAsciiDigit) > 1);
    }

    [Fact]
    public void SpecialTokens_HaveFixedIds_AndTheConfigNamesTheEos()
    {
        // Fixed ids: <|endoftext|> 0, <|im_start|> 1, <|im_end|> 2, <tool_call> 3, </tool_call> 4; bytes from 5.
        Assert.Equal(t.Vocabulary.Tokens.Count + 5, t.Tokenizer.VocabSize);
        var ids = t.Tokenizer.Encode("<|im_start|>user\nHi<|im_end|>\n<|endoftext|><tool_call>", addSpecialTokens: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(3, ids[^1]);
        Assert.Equal(2, ids[^4]); // …<|im_end|> \n <|endoftext|> <tool_call>
        Assert.Equal(0, ids[^2]);
        Assert.Equal(5 + 'A', t.Tokenizer.Encode("A", false).Single());
        Assert.Equal(2, t.Tokenizer.EosId);
        Assert.Null(t.Tokenizer.BosId);
        // Special tokens drop out when skipped; the tool-call tag is an ordinary added token and stays.
        Assert.Equal("user\nHi\n<tool_call>", t.Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Tokenizer_CompressesTheCorpus()
    {
        long chars = 0, tokens = 0;
        foreach (var s in t.HeldOut.Stories)
        {
            chars += s.Length;
            tokens += t.Tokenizer.Encode(s, addSpecialTokens: false).Length;
        }
        Assert.True(tokens * 3 < chars, $"{tokens} tokens for {chars} chars");
    }
}
