namespace Tokamak.Engine.Kv;

/// <summary>
/// The token layout of one batched model step over the paged KV cache: every scheduled sequence's new tokens
/// concatenated into one <c>[T]</c> stream (so each weight matrix runs once over all of them), with per-token
/// positions, the owning sequence of each token, and each sequence's block table. Sequences that need a next-token
/// distribution get a logits row (numbered in the order they were added).
/// <para>Reused across steps: <see cref="Clear"/> keeps the arrays, which only grow, so a warm engine builds its
/// batches without allocating.</para>
/// </summary>
public sealed class PagedBatch
{
    private int[] _tokens = new int[64];        // [T] token ids
    private int[] _positions = new int[64];     // [T] absolute position of each token in its sequence
    private int[] _tokenSeq = new int[64];      // [T] index of the sequence each token belongs to
    private int[] _seqFirstToken = new int[8];  // [S] index of the sequence's first token in the stream
    private int[] _seqCount = new int[8];       // [S] tokens of the sequence in this step
    private int[] _seqStartPos = new int[8];    // [S] position of its first token
    private int[] _seqLogitRow = new int[8];    // [S] logits row, or -1
    private int[] _seqTableOffset = new int[8]; // [S] where its block ids start in _tables
    private int[] _seqTableLength = new int[8]; // [S]
    private int[] _tables = new int[64];        // block ids of all sequences, back to back

    /// <summary>Tokens in the step (T).</summary>
    public int TokenCount { get; private set; }

    /// <summary>Sequences in the step (S).</summary>
    public int SequenceCount { get; private set; }

    /// <summary>Sequences that asked for logits; rows 0 .. LogitRows − 1 of the output.</summary>
    public int LogitRows { get; private set; }

    /// <summary>Token ids <c>[T]</c>.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, TokenCount);

    /// <summary>Absolute positions <c>[T]</c>.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, TokenCount);

    /// <summary>Owning sequence of each token <c>[T]</c>.</summary>
    public ReadOnlySpan<int> TokenSequences => _tokenSeq.AsSpan(0, TokenCount);

    internal int[] TablesArray => _tables;
    internal int[] TableOffsets => _seqTableOffset;
    internal int[] PositionsArray => _positions;
    internal int[] TokenSequencesArray => _tokenSeq;

    /// <summary>Forgets all sequences (keeps the memory).</summary>
    public void Clear()
    {
        TokenCount = 0;
        SequenceCount = 0;
        LogitRows = 0;
    }

    /// <summary>
    /// Adds a sequence computing <paramref name="tokens"/> at positions <paramref name="startPosition"/>.. with K/V
    /// addressed through <paramref name="blockTable"/> (physical block ids in logical order; must cover
    /// startPosition + tokens.Length positions). Returns the sequence's logits row when
    /// <paramref name="wantLogits"/> (logits of its last token), else −1.
    /// </summary>
    public int Add(ReadOnlySpan<int> tokens, int startPosition, ReadOnlySpan<int> blockTable, bool wantLogits)
    {
        if (tokens.IsEmpty) throw new ArgumentException("a sequence in a batch needs at least one token");
        if (startPosition < 0) throw new ArgumentOutOfRangeException(nameof(startPosition), $"start position {startPosition} is negative");
        int s = SequenceCount, t0 = TokenCount;
        Grow(ref _tokens, t0 + tokens.Length);
        Grow(ref _positions, t0 + tokens.Length);
        Grow(ref _tokenSeq, t0 + tokens.Length);
        Grow(ref _seqFirstToken, s + 1);
        Grow(ref _seqCount, s + 1);
        Grow(ref _seqStartPos, s + 1);
        Grow(ref _seqLogitRow, s + 1);
        Grow(ref _seqTableOffset, s + 1);
        Grow(ref _seqTableLength, s + 1);
        int tableOffset = s == 0 ? 0 : _seqTableOffset[s - 1] + _seqTableLength[s - 1];
        Grow(ref _tables, tableOffset + blockTable.Length);

        tokens.CopyTo(_tokens.AsSpan(t0));
        for (int i = 0; i < tokens.Length; i++)
        {
            _positions[t0 + i] = startPosition + i;
            _tokenSeq[t0 + i] = s;
        }
        blockTable.CopyTo(_tables.AsSpan(tableOffset));
        _seqFirstToken[s] = t0;
        _seqCount[s] = tokens.Length;
        _seqStartPos[s] = startPosition;
        _seqTableOffset[s] = tableOffset;
        _seqTableLength[s] = blockTable.Length;
        _seqLogitRow[s] = wantLogits ? LogitRows++ : -1;
        TokenCount = t0 + tokens.Length;
        SequenceCount = s + 1;
        return _seqLogitRow[s];
    }

    /// <summary>Index of sequence <paramref name="seq"/>'s first token in <see cref="Tokens"/>.</summary>
    public int FirstToken(int seq) => _seqFirstToken[Check(seq)];

    /// <summary>Tokens of sequence <paramref name="seq"/> in this step.</summary>
    public int TokenCountOf(int seq) => _seqCount[Check(seq)];

    /// <summary>Position of sequence <paramref name="seq"/>'s first token.</summary>
    public int StartPosition(int seq) => _seqStartPos[Check(seq)];

    /// <summary>Logits row of sequence <paramref name="seq"/>, or −1.</summary>
    public int LogitRow(int seq) => _seqLogitRow[Check(seq)];

    /// <summary>Block table of sequence <paramref name="seq"/>.</summary>
    public ReadOnlySpan<int> BlockTable(int seq) => _tables.AsSpan(_seqTableOffset[Check(seq)], _seqTableLength[seq]);

    private int Check(int seq)
    {
        if ((uint)seq >= (uint)SequenceCount)
            throw new ArgumentOutOfRangeException(nameof(seq), $"sequence {seq} is outside 0..{SequenceCount - 1}");
        return seq;
    }

    private static void Grow(ref int[] a, int needed)
    {
        if (a.Length < needed) Array.Resize(ref a, Math.Max(needed, a.Length * 2));
    }
}
