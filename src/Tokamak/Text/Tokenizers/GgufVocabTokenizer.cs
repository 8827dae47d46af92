using System.Text;
using Tokamak.Text.Tokenizers.Spm;

namespace Tokamak.Text.Tokenizers;

/// <summary>
/// The tokenizer stored in a GGUF file's <c>tokenizer.ggml.*</c> metadata, behaving like llama.cpp's
/// <c>llama_tokenize</c>/<c>llama_detokenize</c>. Model <c>llama</c> (SentencePiece) is implemented here:
/// a space is prepended to each text fragment that follows the start or a special token and spaces become ▁,
/// pieces merge by score, unknown characters fall back to <c>&lt;0xNN&gt;</c> byte pieces. Control (and unknown)
/// token text in the input is matched as the token only when special tokens are requested; user-defined tokens
/// always. Where llama.cpp aborts (a character with neither a piece nor byte pieces, as in the TinyStories-656K
/// GGUF) this tokenizer emits one unknown-token id per character instead. Model <c>gpt2</c> (byte-level BPE)
/// is delegated to <see cref="HfTokenizer"/> with the equivalent pipeline.
/// </summary>
public sealed class GgufVocabTokenizer : Tokenizer
{
    private readonly string[] _tokens;
    private readonly float[] _scores;
    private readonly SpmTokenType[] _types;
    private readonly Dictionary<string, int> _pieceToId = new(StringComparer.Ordinal);
    private readonly int[] _specialByLength;  // control/user-defined/unknown ids, longest text first
    private readonly int[] _byteIds = new int[256];
    private readonly int _unkId;
    private readonly bool _addBos, _addEos, _addSpacePrefix;
    private readonly byte[][] _pieceBytes;    // [vocab] decoded bytes for a normal/byte/user-defined/special token

    private GgufVocabTokenizer(string[] tokens, float[] scores, SpmTokenType[] types, IReadOnlyDictionary<string, object> m)
    {
        _tokens = tokens;
        _scores = scores;
        _types = types;
        for (int i = 0; i < tokens.Length; i++) _pieceToId[tokens[i]] = i; // last wins, as llama.cpp's map assignment
        BosId = GgufMetadataValues.Int(m, "tokenizer.ggml.bos_token_id") ?? 1;
        EosId = GgufMetadataValues.Int(m, "tokenizer.ggml.eos_token_id") ?? 2;
        _unkId = GgufMetadataValues.Int(m, "tokenizer.ggml.unknown_token_id") ?? 0;
        foreach (var (name, id) in new[] { ("bos", BosId), ("eos", EosId), ("unknown", (int?)_unkId) })
            if (id is { } v && (uint)v >= (uint)tokens.Length)
                throw new InvalidDataException($"GGUF metadata tokenizer.ggml.{name}_token_id {v} is outside the vocabulary ({tokens.Length})");
        _addBos = GgufMetadataValues.Bool(m, "tokenizer.ggml.add_bos_token") ?? true;
        _addEos = GgufMetadataValues.Bool(m, "tokenizer.ggml.add_eos_token") ?? false;
        _addSpacePrefix = GgufMetadataValues.Bool(m, "tokenizer.ggml.add_space_prefix") ?? true;
        _specialByLength = Enumerable.Range(0, tokens.Length)
            .Where(i => types[i] is SpmTokenType.Control or SpmTokenType.UserDefined or SpmTokenType.Unknown && tokens[i].Length > 0)
            .OrderByDescending(i => Encoding.UTF8.GetByteCount(tokens[i])).ThenBy(i => i).ToArray();
        for (int b = 0; b < 256; b++)
            _byteIds[b] = _pieceToId.TryGetValue($"<0x{b:X2}>", out int id) ? id
                : _pieceToId.TryGetValue(((char)b).ToString(), out id) && b < 0x80 ? id : -1;
        _pieceBytes = new byte[tokens.Length][];
        for (int i = 0; i < tokens.Length; i++) _pieceBytes[i] = PieceBytes(i);
    }

    /// <summary>
    /// Builds the tokenizer from GGUF metadata (keys <c>tokenizer.ggml.model</c>, <c>.tokens</c>, <c>.scores</c>,
    /// <c>.token_type</c>, <c>.bos_token_id</c>, <c>.eos_token_id</c>, <c>.unknown_token_id</c>,
    /// <c>.add_bos_token</c>, <c>.add_eos_token</c>, <c>.add_space_prefix</c>, and for gpt2 <c>.merges</c>, <c>.pre</c>).
    /// Numeric values may be of any integer type; arrays of any element type.
    /// </summary>
    /// <exception cref="InvalidDataException">Required keys are missing or inconsistent.</exception>
    /// <exception cref="NotSupportedException">The tokenizer model is not <c>llama</c> or <c>gpt2</c>.</exception>
    public static Tokenizer FromMetadata(IReadOnlyDictionary<string, object> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string model = GgufMetadataValues.String(metadata, "tokenizer.ggml.model")
            ?? throw new InvalidDataException("GGUF metadata has no tokenizer.ggml.model");
        var tokens = GgufMetadataValues.Strings(metadata, "tokenizer.ggml.tokens")
            ?? throw new InvalidDataException("GGUF metadata has no tokenizer.ggml.tokens");
        var types = GgufMetadataValues.Ints(metadata, "tokenizer.ggml.token_type") ?? Enumerable.Repeat(1, tokens.Length).ToArray();
        if (types.Length != tokens.Length)
            throw new InvalidDataException($"GGUF tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
        switch (model)
        {
            case "llama":
                {
                    var scores = GgufMetadataValues.Floats(metadata, "tokenizer.ggml.scores") ?? new float[tokens.Length];
                    if (scores.Length != tokens.Length)
                        throw new InvalidDataException($"GGUF tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");
                    return new GgufVocabTokenizer(tokens, scores, types.Select(t => (SpmTokenType)t).ToArray(), metadata);
                }
            case "gpt2":
                return GgufBpeTokenizerBuilder.Build(tokens, types, metadata);
            default:
                throw new NotSupportedException($"GGUF tokenizer model \"{model}\" is not supported (supported: llama, gpt2)");
        }
    }

    /// <inheritdoc/>
    public override int VocabSize => _tokens.Length;

    /// <inheritdoc/>
    public override int? BosId { get; }

    /// <inheritdoc/>
    public override int? EosId { get; }

    /// <summary>Whether <see cref="Encode"/> with special tokens prepends BOS (<c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddsBos => _addBos;

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="addSpecialTokens"/> maps to llama.cpp's <c>add_special</c> and <c>parse_special</c> together:
    /// false also leaves control-token text (e.g. <c>&lt;s&gt;</c>) as plain text.
    /// </remarks>
    public override int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 2 + 2);
        if (addSpecialTokens && _addBos) output.Add(BosId!.Value);
        var merger = new SpmScoreMerger(_pieceToId, _scores);
        bool previousSpecial = true;
        foreach (var (start, length, id) in Partition(text, addSpecialTokens))
        {
            if (id >= 0)
            {
                output.Add(id);
                previousSpecial = true;
                continue;
            }
            string fragment = text.Substring(start, length);
            if (_addSpacePrefix && previousSpecial) fragment = " " + fragment;
            merger.Tokenize(fragment.Replace(' ', '▁'), output, AddFallback);
            previousSpecial = false;
        }
        if (addSpecialTokens && _addEos) output.Add(EosId!.Value);
        return output.ToArray();
    }

    /// <summary>
    /// llama.cpp's special-token partition: for each special token (longest first), every raw fragment is split
    /// at each occurrence. Returns fragments in text order as (start, length, -1) or (start, length, token id).
    /// </summary>
    private List<(int Start, int Length, int Id)> Partition(string text, bool parseSpecial)
    {
        var fragments = new List<(int Start, int Length, int Id)>();
        if (text.Length == 0) return fragments;
        fragments.Add((0, text.Length, -1));
        foreach (int id in _specialByLength)
        {
            if (!parseSpecial && _types[id] is SpmTokenType.Control or SpmTokenType.Unknown) continue;
            string special = _tokens[id];
            for (int f = 0; f < fragments.Count; f++)
            {
                var (start, length, fid) = fragments[f];
                if (fid >= 0) continue;
                int at = text.IndexOf(special, start, length, StringComparison.Ordinal);
                if (at < 0) continue;
                var replacement = new List<(int, int, int)>(3);
                if (at > start) replacement.Add((start, at - start, -1));
                replacement.Add((at, special.Length, id));
                int rest = start + length - (at + special.Length);
                if (rest > 0) replacement.Add((at + special.Length, rest, -1));
                fragments.RemoveAt(f);
                fragments.InsertRange(f, replacement);
                f += replacement.Count - 2; // continue with the remaining right fragment
            }
        }
        return fragments;
    }

    private void AddFallback(ReadOnlySpan<char> symbol, List<int> output)
    {
        Span<byte> bytes = stackalloc byte[8];
        int n = Encoding.UTF8.GetBytes(symbol, bytes);
        for (int i = 0; i < n; i++)
            if (_byteIds[bytes[i]] < 0)
            {
                output.Add(_unkId); // llama.cpp throws here; one <unk> per character
                return;
            }
        for (int i = 0; i < n; i++) output.Add(_byteIds[bytes[i]]);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Like <c>llama_detokenize(remove_special: skipSpecialTokens, unparse_special: !skipSpecialTokens)</c>: the
    /// first piece loses one leading space (the prefix added by Encode), except after a BOS that is skipped.
    /// </remarks>
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        if (skipSpecialTokens && _addEos && ids.Length > 0 && ids[^1] == EosId) ids = ids[..^1];
        var bytes = new List<byte>(ids.Length * 4);
        var cursor = StartDecode(skipSpecialTokens);
        foreach (int id in ids) bytes.AddRange(NextPieceBytes(id, skipSpecialTokens, ref cursor));
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    internal override bool SupportsStreaming => true;

    internal override DecodeCursor StartDecode(bool skipSpecialTokens) => DecodeCursor.Start(_addSpacePrefix ? 1 : 0);

    internal override ReadOnlySpan<byte> NextPieceBytes(int id, bool skipSpecialTokens, ref DecodeCursor cursor)
    {
        CheckId(id);
        bool first = cursor.Position == 0;
        cursor.Position++;
        cursor.PreviousId = id;
        if (first && skipSpecialTokens && _addBos && id == BosId)
        {
            cursor.PendingStrip = 0;
            return default;
        }
        ReadOnlySpan<byte> piece = skipSpecialTokens && _types[id] is SpmTokenType.Control or SpmTokenType.Unknown ? default : _pieceBytes[id];
        if (cursor.PendingStrip > 0 && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        cursor.PendingStrip = 0;
        return piece;
    }

    /// <summary>llama.cpp's token_to_piece for SPM: ▁ → space for normal pieces, raw byte for byte pieces.</summary>
    private byte[] PieceBytes(int id) => _types[id] switch
    {
        SpmTokenType.Normal => Encoding.UTF8.GetBytes(_tokens[id].Replace('▁', ' ')),
        SpmTokenType.Byte => [ParseByte(_tokens[id])],
        SpmTokenType.Control or SpmTokenType.Unknown or SpmTokenType.UserDefined => Encoding.UTF8.GetBytes(_tokens[id]),
        _ => [],
    };

    private static byte ParseByte(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal)
        && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b)
            ? b : throw new InvalidDataException($"GGUF byte token \"{piece}\" is not of the form <0xNN>");

    /// <inheritdoc/>
    public override string TokenToPiece(int id)
    {
        CheckId(id);
        return _tokens[id];
    }

    /// <inheritdoc/>
    public override int? PieceToId(string piece) => _pieceToId.TryGetValue(piece, out int id) ? id : null;

    /// <inheritdoc/>
    /// <remarks>Control and unknown tokens, the ones llama.cpp drops when decoding without special tokens.</remarks>
    public override bool IsSpecial(int id)
    {
        CheckId(id);
        return _types[id] is SpmTokenType.Control or SpmTokenType.Unknown;
    }
}
