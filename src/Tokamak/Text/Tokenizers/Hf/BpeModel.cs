using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// Hugging Face's BPE model: a word is split into code points (vocab lookups, with byte fallback to
/// <c>&lt;0xNN&gt;</c> pieces and then <c>unk</c>, fused if <c>fuse_unk</c>), then adjacent pairs are merged by
/// merge rank, lowest rank first and leftmost first among equals (Rust <c>Word::merge_all</c>). Results are
/// cached per word.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int MaxCacheEntries = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteIds;   // [256] id of "<0xNN>", -1 when absent
    private readonly int _unkId;       // -1 when none
    private readonly bool _fuseUnk, _byteFallback, _ignoreMerges;
    private readonly string? _prefix, _suffix;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    [ThreadStatic] private static MergeScratch? t_scratch;

    public BpeModel(Dictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges, string? unkToken,
        bool fuseUnk, bool byteFallback, bool ignoreMerges, string? continuingSubwordPrefix, string? endOfWordSuffix)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _prefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        _suffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        _unkId = -1;
        if (unkToken is not null)
            _unkId = vocab.TryGetValue(unkToken, out int u) ? u
                : throw new InvalidDataException($"tokenizer.json: unk_token \"{unkToken}\" is not in the vocab");
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;

        _merges = new Dictionary<long, (int, int)>();
        int rank = 0;
        int prefixLength = _prefix?.Length ?? 0;
        foreach (var (left, right) in merges)
        {
            if (!vocab.TryGetValue(left, out int a) || !vocab.TryGetValue(right, out int b))
                throw new InvalidDataException($"tokenizer.json: merge \"{left} {right}\" uses a token missing from the vocab");
            string merged = left + (prefixLength > 0 && right.StartsWith(_prefix!, StringComparison.Ordinal) ? right[prefixLength..] : right);
            if (!vocab.TryGetValue(merged, out int m))
                throw new InvalidDataException($"tokenizer.json: merge result \"{merged}\" is not in the vocab");
            _merges.TryAdd(Key(a, b), (rank, m));
            rank++;
        }
    }

    /// <summary>Vocab (without added tokens).</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Reads a <c>"model": {"type": "BPE", …}</c> element.</summary>
    public static BpeModel FromJson(JsonElement model)
    {
        string type = HfJson.String(model, "type") ?? (model.TryGetProperty("merges", out _) ? "BPE" : "");
        if (type != "BPE")
            throw new NotSupportedException($"tokenizer.json: model type \"{type}\" is not supported (only BPE)");
        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json: BPE model has no \"vocab\" object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        var dropout = HfJson.Child(model, "dropout");
        if (dropout is { ValueKind: JsonValueKind.Number } d && d.GetDouble() > 0)
            throw new NotSupportedException("tokenizer.json: BPE dropout is not supported");
        return new BpeModel(vocab, ReadMerges(model), HfJson.String(model, "unk_token"), HfJson.Bool(model, "fuse_unk", false),
            HfJson.Bool(model, "byte_fallback", false), HfJson.Bool(model, "ignore_merges", false),
            HfJson.String(model, "continuing_subword_prefix"), HfJson.String(model, "end_of_word_suffix"));
    }

    /// <summary>Merges as <c>"a b"</c> strings (legacy) or <c>["a", "b"]</c> pairs.</summary>
    private static IEnumerable<(string, string)> ReadMerges(JsonElement model)
    {
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array) yield break;
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
            {
                string s = m.GetString()!;
                int space = s.IndexOf(' ');
                if (space <= 0 || s.IndexOf(' ', space + 1) >= 0)
                    throw new InvalidDataException($"tokenizer.json: merge \"{s}\" is not two tokens separated by one space");
                yield return (s[..space], s[(space + 1)..]);
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
                yield return (m[0].GetString()!, m[1].GetString()!);
            else throw new InvalidDataException($"tokenizer.json: malformed merge entry {m.GetRawText()}");
        }
    }

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _vocabBySpan.TryGetValue(token, out id);

    /// <summary>Appends the ids of <paramref name="word"/> (one pre-tokenized piece).</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }
        if (_cache.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = MergeWord(word);
        if (word.Length <= MaxCachedWordLength)
        {
            if (_cache.Count >= MaxCacheEntries) _cache.Clear();
            _cache.TryAdd(word, ids);
        }
        output.AddRange(ids);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    private int[] MergeWord(string word)
    {
        var s = t_scratch ??= new MergeScratch();
        s.Reset();
        int unkPending = -1; // fused unknowns wait here until a known symbol or the end
        for (int i = 0; i < word.Length;)
        {
            int n = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            bool first = i == 0, last = i + n == word.Length;
            var piece = word.AsSpan(i, n);
            i += n;
            if (LookupSymbol(piece, first, last, out int id))
            {
                if (unkPending >= 0) { s.Add(unkPending); unkPending = -1; }
                s.Add(id);
                continue;
            }
            if (_byteFallback && TryAddBytes(piece, s))
            {
                // Rust adds byte pieces directly, leaving a pending unk in place (so it lands after them).
                continue;
            }
            if (_unkId >= 0)
            {
                if (unkPending >= 0 && !_fuseUnk) s.Add(unkPending);
                unkPending = _unkId;
            }
        }
        if (unkPending >= 0) s.Add(unkPending);
        s.MergeAll(_merges);
        return s.Result();
    }

    private bool LookupSymbol(ReadOnlySpan<char> piece, bool first, bool last, out int id)
    {
        if ((_prefix is null || first) && (_suffix is null || !last)) return _vocabBySpan.TryGetValue(piece, out id);
        string s = (_prefix is not null && !first ? _prefix : "") + piece.ToString() + (_suffix is not null && last ? _suffix : "");
        return _vocab.TryGetValue(s, out id);
    }

    private bool TryAddBytes(ReadOnlySpan<char> piece, MergeScratch s)
    {
        Span<byte> bytes = stackalloc byte[8];
        int count = Encoding.UTF8.GetBytes(piece, bytes);
        for (int k = 0; k < count; k++)
            if (_byteIds[bytes[k]] < 0) return false;
        for (int k = 0; k < count; k++) s.Add(_byteIds[bytes[k]]);
        return true;
    }

    /// <summary>A word's symbols as a doubly linked list plus the merge queue, reused per thread.</summary>
    private sealed class MergeScratch
    {
        private int[] _id = new int[64], _prev = new int[64], _next = new int[64];
        private int _count;
        private readonly PriorityQueue<(int Pos, int Rank), long> _queue = new();

        public void Reset() { _count = 0; _queue.Clear(); }

        public void Add(int id)
        {
            if (_count == _id.Length)
            {
                Array.Resize(ref _id, _count * 2);
                Array.Resize(ref _prev, _count * 2);
                Array.Resize(ref _next, _count * 2);
            }
            _id[_count] = id;
            _prev[_count] = _count - 1;
            _next[_count] = -1;
            if (_count > 0) _next[_count - 1] = _count;
            _count++;
        }

        public void MergeAll(Dictionary<long, (int Rank, int NewId)> merges)
        {
            for (int i = 0; i + 1 < _count; i++) Enqueue(merges, i, i + 1);
            while (_queue.TryDequeue(out var top, out _))
            {
                int pos = top.Pos;
                if (_id[pos] < 0) continue;            // merged away into its left neighbour
                int right = _next[pos];
                if (right < 0) continue;
                if (!merges.TryGetValue(Key(_id[pos], _id[right]), out var m) || m.Rank != top.Rank) continue; // stale entry
                _id[pos] = m.NewId;
                _id[right] = -1;
                _next[pos] = _next[right];
                if (_next[right] >= 0) _prev[_next[right]] = pos;
                if (_prev[pos] >= 0) Enqueue(merges, _prev[pos], pos);
                if (_next[pos] >= 0) Enqueue(merges, pos, _next[pos]);
            }
        }

        private void Enqueue(Dictionary<long, (int Rank, int NewId)> merges, int left, int right)
        {
            if (merges.TryGetValue(Key(_id[left], _id[right]), out var m))
                _queue.Enqueue((left, m.Rank), ((long)m.Rank << 32) | (uint)left);
        }

        public int[] Result()
        {
            int n = 0;
            for (int i = 0; i < _count; i++) if (_id[i] >= 0) n++;
            var result = new int[n];
            n = 0;
            for (int i = 0; i < _count; i++) if (_id[i] >= 0) result[n++] = _id[i];
            return result;
        }
    }
}
