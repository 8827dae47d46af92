using System.Text;
using Tokamak.Text.Tokenizers.Spm;

namespace Tokamak.Text.Tokenizers;

/// <summary>
/// Karpathy's llama2.c <c>tokenizer.bin</c> (int32 max_token_length, then per token: float32 score, int32 byte
/// length, bytes), encoding and decoding exactly like <c>run.c</c>: BOS (id 1) when requested, a dummy-prefix
/// space token before non-empty text, each UTF-8 character looked up whole or else as byte tokens (byte + 3),
/// then repeated merging of the adjacent pair whose concatenation is the best-scoring piece (leftmost on ties,
/// only scores above -1e10). Decoding drops the leading space of a piece that follows BOS and turns
/// <c>&lt;0xNN&gt;</c> pieces into raw bytes. Ids 0, 1, 2 are unk/BOS/EOS. Special-token text in the input is
/// not parsed (run.c does not).
/// </summary>
public sealed class Llama2cTokenizer : Tokenizer
{
    private const int BosToken = 1, EosToken = 2, ByteOffset = 3;
    private const float MergeScoreFloor = -1e10f;

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly byte[][] _pieceBytes;          // [vocab] decoded bytes (byte pieces → the raw byte)
    private readonly Dictionary<string, int> _pieceToId = new(StringComparer.Ordinal);

    private Llama2cTokenizer(string[] pieces, float[] scores, byte[][] rawPieces, int maxTokenLength)
    {
        _pieces = pieces;
        _scores = scores;
        MaxTokenLength = maxTokenLength;
        for (int i = 0; i < pieces.Length; i++) _pieceToId.TryAdd(pieces[i], i);
        _pieceBytes = new byte[pieces.Length][];
        for (int i = 0; i < pieces.Length; i++)
            _pieceBytes[i] = TryParseBytePiece(rawPieces[i], out byte b) ? [b] : rawPieces[i];
    }

    /// <summary>Reads a llama2.c <c>tokenizer.bin</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="vocabSize">Number of tokens to read (the model's vocab_size); null reads to the end of the file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or malformed.</exception>
    public static Llama2cTokenizer FromFile(string path, int? vocabSize = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"llama2.c tokenizer not found: {path}", path);
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 4) throw new InvalidDataException($"{path}: too short for a llama2.c tokenizer");
        int maxTokenLength = BitConverter.ToInt32(data, 0);
        var pieces = new List<string>();
        var raw = new List<byte[]>();
        var scores = new List<float>();
        int offset = 4;
        while (vocabSize is { } n ? pieces.Count < n : offset < data.Length)
        {
            if (offset + 8 > data.Length) throw new InvalidDataException($"{path}: truncated at token {pieces.Count}");
            float score = BitConverter.ToSingle(data, offset);
            int length = BitConverter.ToInt32(data, offset + 4);
            offset += 8;
            if (length < 0 || length > data.Length - offset)
                throw new InvalidDataException($"{path}: token {pieces.Count} has invalid length {length}");
            var bytes = data.AsSpan(offset, length).ToArray();
            offset += length;
            raw.Add(bytes);
            pieces.Add(Encoding.UTF8.GetString(bytes));
            scores.Add(score);
        }
        if (pieces.Count <= EosToken) throw new InvalidDataException($"{path}: only {pieces.Count} tokens; llama2.c needs unk, BOS, EOS");
        return new Llama2cTokenizer(pieces.ToArray(), scores.ToArray(), raw.ToArray(), maxTokenLength);
    }

    /// <summary>The file's max_token_length field.</summary>
    public int MaxTokenLength { get; }

    /// <inheritdoc/>
    public override int VocabSize => _pieces.Length;

    /// <inheritdoc/>
    public override int? BosId => BosToken;

    /// <inheritdoc/>
    public override int? EosId => EosToken;

    /// <inheritdoc/>
    /// <remarks><paramref name="addSpecialTokens"/> prepends BOS, as run.c's <c>encode(…, bos=1, eos=0)</c>.</remarks>
    public override int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var concat = new StringBuilder();
        var lengths = new List<int>();
        var ids = new List<int>();
        void Add(int id)
        {
            concat.Append(_pieces[id]);
            lengths.Add(_pieces[id].Length);
            ids.Add(id);
        }
        if (addSpecialTokens) Add(BosToken);
        if (text.Length > 0)
        {
            if (!_pieceToId.TryGetValue(" ", out int space)) throw new InvalidDataException("llama2.c vocabulary has no \" \" piece for the dummy prefix");
            Add(space);
        }
        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i < text.Length;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var ch = text.AsSpan(i, len);
            i += len;
            if (_pieceToId.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(ch, out int id)) { Add(id); continue; }
            int n = Encoding.UTF8.GetBytes(ch, utf8);
            for (int k = 0; k < n; k++)
            {
                int byteId = utf8[k] + ByteOffset;
                if (byteId >= _pieces.Length) throw new InvalidDataException($"llama2.c vocabulary too small for byte token {byteId}");
                Add(byteId);
            }
        }
        var output = new List<int>(ids.Count);
        new SpmScoreMerger(_pieceToId, _scores, MergeScoreFloor)
            .TokenizeSymbols(concat.ToString(), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lengths),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids), output);
        return output.ToArray();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Pieces are joined as run.c prints them (a piece after BOS loses its leading space). Without
    /// <paramref name="skipSpecialTokens"/> the unk/BOS/EOS pieces appear as their text (e.g. "\n&lt;s&gt;\n").
    /// </remarks>
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        var cursor = StartDecode(skipSpecialTokens);
        foreach (int id in ids) bytes.AddRange(NextPieceBytes(id, skipSpecialTokens, ref cursor));
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    internal override bool SupportsStreaming => true;

    internal override ReadOnlySpan<byte> NextPieceBytes(int id, bool skipSpecialTokens, ref DecodeCursor cursor)
    {
        CheckId(id);
        int previous = cursor.PreviousId;
        cursor.PreviousId = id;
        cursor.Position++;
        if (skipSpecialTokens && IsSpecial(id)) return default;
        ReadOnlySpan<byte> piece = _pieceBytes[id];
        if (previous == BosToken && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        return piece;
    }

    /// <summary>run.c's <c>sscanf(piece, "&lt;0x%02hhX&gt;")</c>.</summary>
    private static bool TryParseBytePiece(byte[] piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece[0] == '<' && piece[1] == '0' && piece[2] == 'x' && piece[5] == '>'
            && byte.TryParse(Encoding.ASCII.GetString(piece, 3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    /// <inheritdoc/>
    public override string TokenToPiece(int id)
    {
        CheckId(id);
        return _pieces[id];
    }

    /// <inheritdoc/>
    public override int? PieceToId(string piece) => _pieceToId.TryGetValue(piece, out int id) ? id : null;

    /// <inheritdoc/>
    public override bool IsSpecial(int id)
    {
        CheckId(id);
        return id <= EosToken;
    }

    /// <summary>Score of <paramref name="id"/> (its merge priority).</summary>
    public float Score(int id)
    {
        CheckId(id);
        return _scores[id];
    }
}
