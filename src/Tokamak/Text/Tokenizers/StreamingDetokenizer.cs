using System.Buffers;
using System.Text;

namespace Tokamak.Text.Tokenizers;

/// <summary>
/// Turns a stream of token ids into text one id at a time. <see cref="Next"/> returns only text that is final:
/// an incomplete UTF-8 character (e.g. the first byte-fallback token of an emoji) is held back until its last
/// byte arrives, and with <c>clean_up_tokenization_spaces</c> a trailing space that a following "." could remove
/// is held back too. The concatenation of every <see cref="Next"/> result and <see cref="Flush"/> equals
/// <see cref="Tokenizer.Decode"/> of all ids (including the tokenizer's leading-space stripping after BOS).
/// Not thread-safe; use one instance per sequence.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private readonly bool _cleanUp;
    private DecodeCursor _cursor;
    private byte[] _pending = new byte[16];   // bytes not yet turned into text (an incomplete UTF-8 tail)
    private int _pendingLength;
    private string _heldText = "";              // decoded text held back for the clean-up pass

    /// <summary>Creates a detokenizer for one sequence.</summary>
    /// <exception cref="NotSupportedException">The tokenizer's decoder cannot be applied piece by piece.</exception>
    public StreamingDetokenizer(Tokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!tokenizer.SupportsStreaming)
            throw new NotSupportedException($"{tokenizer.GetType().Name}: this decoder configuration cannot be streamed");
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecialTokens;
        _cleanUp = tokenizer.CleansUpTokenizationSpaces;
        _cursor = tokenizer.StartDecode(skipSpecialTokens);
    }

    /// <summary>Feeds one id; returns the text completed by it ("" when nothing is complete yet).</summary>
    public string Next(int id)
    {
        var piece = _tokenizer.NextPieceBytes(id, _skipSpecial, ref _cursor);
        if (piece.IsEmpty) return "";
        Append(piece);
        int complete = CompletePrefixLength(_pending.AsSpan(0, _pendingLength));
        if (complete == 0) return "";
        string text = Encoding.UTF8.GetString(_pending, 0, complete);
        _pending.AsSpan(complete, _pendingLength - complete).CopyTo(_pending);
        _pendingLength -= complete;
        return _cleanUp ? ReleaseCleaned(text) : text;
    }

    /// <summary>Returns everything still held back (an incomplete character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        string text = _pendingLength == 0 ? "" : Encoding.UTF8.GetString(_pending, 0, _pendingLength);
        if (_cleanUp)
        {
            text = TokenizationSpaces.CleanUp(_heldText + text);
            _heldText = "";
        }
        Reset();
        return text;
    }

    /// <summary>Starts a new sequence, dropping anything held back.</summary>
    public void Reset()
    {
        _pendingLength = 0;
        _heldText = "";
        _cursor = _tokenizer.StartDecode(_skipSpecial);
    }

    private void Append(ReadOnlySpan<byte> piece)
    {
        if (_pendingLength + piece.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + piece.Length));
        piece.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += piece.Length;
    }

    private string ReleaseCleaned(string text)
    {
        string all = _heldText.Length == 0 ? text : _heldText + text;
        int split = TokenizationSpaces.SafeSplit(all);
        _heldText = all[split..];
        return split == 0 ? "" : TokenizationSpaces.CleanUp(all[..split]);
    }

    /// <summary>
    /// Length of the longest prefix that decodes the same now as it would with more bytes appended: everything
    /// except a trailing sequence that is a valid-so-far but unfinished UTF-8 character. Invalid bytes count as
    /// complete (they become U+FFFD whatever follows).
    /// </summary>
    internal static int CompletePrefixLength(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed);
            if (status == OperationStatus.NeedMoreData) return i;
            i += consumed;
        }
        return i;
    }
}
