namespace Tokamak.Text.Tokenizers.Spm;

/// <summary>
/// llama.cpp's SentencePiece-BPE session: the text is split into code points, then the adjacent pair whose
/// concatenation is a vocab piece with the highest score is merged (the leftmost on ties), until no pair is a
/// piece. Final symbols that are not pieces fall back to <c>&lt;0xNN&gt;</c> byte pieces.
/// </summary>
internal sealed class SpmScoreMerger
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly float[] _scores;
    private readonly PriorityQueue<Bigram, Bigram> _queue = new(BigramOrder.Instance);
    private readonly float _minScoreExclusive;
    private int[] _start = new int[64], _length = new int[64], _prev = new int[64], _next = new int[64], _initialId = new int[64];
    private bool[] _merged = new bool[64];

    private readonly record struct Bigram(int Left, int Right, float Score, int Size);

    /// <summary>Highest score first; on equal scores the leftmost pair first (llama.cpp's comparator).</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();
        public int Compare(Bigram x, Bigram y)
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.Left.CompareTo(y.Left);
        }
    }

    /// <param name="pieceToId">Piece → id for pair lookups.</param>
    /// <param name="scores">[vocab] merge priority per id.</param>
    /// <param name="minScoreExclusive">Pieces scoring at or below this never merge (llama2c's -1e10 floor).</param>
    public SpmScoreMerger(Dictionary<string, int> pieceToId, float[] scores, float minScoreExclusive = float.NegativeInfinity)
    {
        _minScoreExclusive = minScoreExclusive;
        _lookup = pieceToId.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = scores;
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> (already escaped: spaces as ▁). A final symbol that is no piece
    /// is emitted through <paramref name="fallback"/> (byte pieces or unk).
    /// </summary>
    public void Tokenize(string text, List<int> output, Action<ReadOnlySpan<char>, List<int>> fallback)
    {
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            AddSymbol(n++, i, len, -1);
            i += len;
        }
        Run(text, n, output, fallback);
    }

    /// <summary>
    /// Merges pre-made symbols: <paramref name="text"/> is the concatenation of their pieces, [n] lengths and ids.
    /// Symbols that never merge keep their given id (llama2c's initial tokens and byte-fallback tokens).
    /// </summary>
    public void TokenizeSymbols(string text, ReadOnlySpan<int> lengths, ReadOnlySpan<int> ids, List<int> output)
    {
        int start = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            AddSymbol(i, start, lengths[i], ids[i]);
            start += lengths[i];
        }
        Run(text, lengths.Length, output, static (_, _) => throw new InvalidOperationException("unreachable: every symbol has an id"));
    }

    private void AddSymbol(int n, int start, int length, int id)
    {
        Ensure(n + 1);
        _start[n] = start;
        _length[n] = length;
        _initialId[n] = id;
        _merged[n] = false;
        _prev[n] = n - 1;
        _next[n] = n + 1;
    }

    private void Run(string text, int n, List<int> output, Action<ReadOnlySpan<char>, List<int>> fallback)
    {
        if (n == 0) return;
        _next[n - 1] = -1;
        _queue.Clear();
        for (int i = 1; i < n; i++) TryAddBigram(text, i - 1, i);
        while (_queue.TryDequeue(out var bigram, out _))
        {
            int left = bigram.Left, right = bigram.Right;
            if (_length[left] == 0 || _length[right] == 0 || _length[left] + _length[right] != bigram.Size) continue; // stale
            _length[left] += _length[right];
            _length[right] = 0;
            _merged[left] = true;
            _next[left] = _next[right];
            if (_next[right] >= 0) _prev[_next[right]] = left;
            TryAddBigram(text, _prev[left], left);
            TryAddBigram(text, left, _next[left]);
        }
        for (int i = 0; i != -1; i = _next[i])
        {
            if (!_merged[i] && _initialId[i] >= 0) { output.Add(_initialId[i]); continue; }
            var piece = text.AsSpan(_start[i], _length[i]);
            if (_lookup.TryGetValue(piece, out int id)) output.Add(id);
            else fallback(piece, output);
        }
    }

    private void TryAddBigram(string text, int left, int right)
    {
        if (left < 0 || right < 0) return;
        int size = _length[left] + _length[right];
        if (!_lookup.TryGetValue(text.AsSpan(_start[left], size), out int id) || (_minScoreExclusive != float.NegativeInfinity && !(_scores[id] > _minScoreExclusive))) return;
        _queue.Enqueue(new Bigram(left, right, _scores[id], size), new Bigram(left, right, _scores[id], size));
    }

    private void Ensure(int count)
    {
        if (count <= _start.Length) return;
        int size = Math.Max(count, _start.Length * 2);
        Array.Resize(ref _start, size);
        Array.Resize(ref _length, size);
        Array.Resize(ref _prev, size);
        Array.Resize(ref _next, size);
        Array.Resize(ref _initialId, size);
        Array.Resize(ref _merged, size);
    }
}
