namespace Tokamak.Text.Tokenizers;

/// <summary>
/// Text ↔ token ids for one vocabulary. Implementations: Hugging Face <c>tokenizer.json</c> (byte-level BPE and
/// SentencePiece-style BPE), GGUF-embedded vocabularies, and llama2.c <c>tokenizer.bin</c>.
/// </summary>
public abstract class Tokenizer
{
    /// <summary>Number of ids (including added/special tokens).</summary>
    public abstract int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, if the vocabulary has one.</summary>
    public abstract int? BosId { get; }

    /// <summary>End-of-sequence id, if the vocabulary has one.</summary>
    public abstract int? EosId { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. With <paramref name="addSpecialTokens"/> the tokenizer's own post-processing
    /// (e.g. a BOS) is applied, as Hugging Face's <c>encode(add_special_tokens=True)</c> does. Special-token text in
    /// the input is matched as a single token either way.
    /// </summary>
    public abstract int[] Encode(string text, bool addSpecialTokens = true);

    /// <summary>Decodes ids to text; <paramref name="skipSpecialTokens"/> drops special/control tokens.</summary>
    public abstract string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>The vocabulary string of <paramref name="id"/> (e.g. <c>▁the</c>, <c>Ġthe</c>, <c>&lt;0x0A&gt;</c>).</summary>
    public abstract string TokenToPiece(int id);

    /// <summary>Id of the vocabulary string <paramref name="piece"/>, or null.</summary>
    public abstract int? PieceToId(string piece);

    /// <summary>Whether <paramref name="id"/> is a special/control token (skipped by <c>skipSpecialTokens</c>).</summary>
    public abstract bool IsSpecial(int id);

    /// <summary>
    /// The UTF-8 bytes <paramref name="id"/> contributes to decoded text when it stands in the middle of a
    /// sequence (byte-fallback pieces give their one raw byte, byte-level pieces their bytes, <c>▁</c> a space).
    /// Context rules such as stripping the leading space after BOS are not applied.
    /// </summary>
    public virtual byte[] TokenBytes(int id)
    {
        var cursor = DecodeCursor.Start(0);
        cursor.Position = 1;
        cursor.PreviousId = -2;
        return NextPieceBytes(id, false, ref cursor).ToArray();
    }

    /// <summary>Whether <see cref="StreamingDetokenizer"/> can decode this tokenizer's output piece by piece.</summary>
    internal virtual bool SupportsStreaming => false;

    /// <summary>Whether decoded text gets Hugging Face's <c>clean_up_tokenization_spaces</c> pass.</summary>
    internal virtual bool CleansUpTokenizationSpaces => false;

    /// <summary>Cursor for the start of a sequence.</summary>
    internal virtual DecodeCursor StartDecode(bool skipSpecialTokens) => DecodeCursor.Start(0);

    /// <summary>
    /// Bytes of the next token of a sequence, applying the tokenizer's context rules and advancing
    /// <paramref name="cursor"/>. The span stays valid until the next call. Only when <see cref="SupportsStreaming"/>.
    /// </summary>
    internal virtual ReadOnlySpan<byte> NextPieceBytes(int id, bool skipSpecialTokens, ref DecodeCursor cursor) =>
        throw new NotSupportedException($"{GetType().Name} does not support piece-by-piece decoding");

    /// <summary>Throws a clear exception for an id outside the vocabulary.</summary>
    protected void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is outside the vocabulary (size {VocabSize})");
    }
}
