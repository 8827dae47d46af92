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
}
