using System.Text.Json;
using Tokamak.Text.Tokenizers.Hf;

namespace Tokamak.Text.Tokenizers.Training;

/// <summary>A trained byte-level BPE: tokens in id order (256 byte chars first) and merges in rank order.</summary>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges);

/// <summary>
/// Trains a byte-level BPE the way Hugging Face's BpeTrainer does: texts are pre-tokenized (the same pre-tokenizer the
/// runtime tokenizer uses, so training and encoding see the same pieces), pieces are counted, and the most frequent
/// adjacent pair of symbols is merged into a new token until the vocabulary is full or no pair occurs often enough.
/// Ties go to the pair whose (left, right) strings sort first (ordinal), so the result depends only on the input.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// The pre-tokenizer of the default tokenizer, as tokenizer.json JSON: Qwen2's split (single digits, so numbers
    /// are spelled digit by digit — arithmetic is learnable), then the byte-level alphabet.
    /// </summary>
    public const string PreTokenizerJson =
        """
        {"type":"Sequence","pretokenizers":[
          {"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},
          {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}
        """;

    /// <summary>Trains on <paramref name="texts"/> with <see cref="PreTokenizerJson"/>.</summary>
    /// <param name="texts">Training text (special tokens must not appear in it).</param>
    /// <param name="vocabSize">Target BPE vocabulary size including the 256 byte tokens (special tokens come on top).</param>
    /// <param name="minFrequency">A pair must occur at least this often to be merged.</param>
    public static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        using var doc = JsonDocument.Parse(PreTokenizerJson);
        return Train(texts, vocabSize, minFrequency, HfPreTokenizer.FromJson(doc.RootElement)!);
    }

    internal static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize, int minFrequency, HfPreTokenizer preTokenizer)
    {
        if (vocabSize < 256) throw new ArgumentException($"vocab size must be at least 256 (the byte tokens), got {vocabSize}");
        if (minFrequency < 1) throw new ArgumentException($"min frequency must be at least 1, got {minFrequency}");

        var tokens = new List<string>(vocabSize);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            string t = ByteLevelAlphabet.ByteToChar[b].ToString();
            ids[t] = tokens.Count;
            tokens.Add(t);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var piece in preTokenizer.PreTokenize([text], isFirstSection: true))
                if (piece.Length > 0) counts[piece] = counts.GetValueOrDefault(piece) + 1;

        // Distinct pieces in a fixed order, each as a symbol-id list: [words][symbols]
        var words = counts.Keys.Order(StringComparer.Ordinal).ToArray();
        var symbols = new List<int>[words.Length];
        var freq = new long[words.Length];
        for (int w = 0; w < words.Length; w++)
        {
            symbols[w] = words[w].Select(c => ids[c.ToString()]).ToList();
            freq[w] = counts[words[w]];
        }

        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Length; w++) AddPairs(w, symbols[w], freq[w], pairCounts, pairWords);

        var merges = new List<(string, string)>();
        while (tokens.Count < vocabSize)
        {
            long best = -1, bestCount = 0;
            foreach (var (pair, count) in pairCounts)
            {
                if (count > bestCount || (count == bestCount && count > 0 && ComparePairs(pair, best, tokens) < 0))
                {
                    best = pair;
                    bestCount = count;
                }
            }
            if (best < 0 || bestCount < minFrequency) break;
            int left = (int)(best >> 32), right = (int)(best & 0xFFFFFFFF);
            string merged = tokens[left] + tokens[right];
            int newId = tokens.Count;
            tokens.Add(merged);
            merges.Add((tokens[left], tokens[right]));

            foreach (int w in pairWords[best].ToArray())
            {
                var s = symbols[w];
                RemovePairs(w, s, freq[w], pairCounts);
                var next = new List<int>(s.Count);
                for (int i = 0; i < s.Count; i++)
                {
                    if (i + 1 < s.Count && s[i] == left && s[i + 1] == right)
                    {
                        next.Add(newId);
                        i++;
                    }
                    else next.Add(s[i]);
                }
                symbols[w] = next;
                AddPairs(w, next, freq[w], pairCounts, pairWords);
            }
            pairCounts.Remove(best);
            pairWords.Remove(best);
        }
        return new BpeVocabulary(tokens, merges);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    private static int ComparePairs(long a, long b, List<string> tokens)
    {
        if (b < 0) return -1;
        int c = string.CompareOrdinal(tokens[(int)(a >> 32)], tokens[(int)(b >> 32)]);
        return c != 0 ? c : string.CompareOrdinal(tokens[(int)(a & 0xFFFFFFFF)], tokens[(int)(b & 0xFFFFFFFF)]);
    }

    private static void AddPairs(int word, List<int> s, long freq, Dictionary<long, long> pairCounts, Dictionary<long, HashSet<int>> pairWords)
    {
        for (int i = 0; i + 1 < s.Count; i++)
        {
            long k = Key(s[i], s[i + 1]);
            pairCounts[k] = pairCounts.GetValueOrDefault(k) + freq;
            if (!pairWords.TryGetValue(k, out var set)) pairWords[k] = set = [];
            set.Add(word);
        }
    }

    // Word-set entries are left in place: a word that no longer holds a pair is merely revisited once, harmlessly.
    private static void RemovePairs(int word, List<int> s, long freq, Dictionary<long, long> pairCounts)
    {
        for (int i = 0; i + 1 < s.Count; i++)
        {
            long k = Key(s[i], s[i + 1]);
            long c = pairCounts[k] - freq;
            if (c == 0) pairCounts.Remove(k);
            else pairCounts[k] = c;
        }
    }
}
