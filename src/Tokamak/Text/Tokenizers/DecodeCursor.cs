namespace Tokamak.Text.Tokenizers;

/// <summary>
/// Context carried from one token to the next while decoding a sequence piece by piece, so that the streaming
/// detokenizer and <see cref="Tokenizer.Decode"/> apply the same context rules (leading-space stripping after
/// BOS or at the start of the output).
/// </summary>
internal struct DecodeCursor
{
    /// <summary>Index of the next token in the sequence.</summary>
    public int Position;

    /// <summary>Previous token id, or -1 at the start.</summary>
    public int PreviousId;

    /// <summary>Leading spaces still to strip from the output (tokenizer-specific meaning).</summary>
    public int PendingStrip;

    /// <summary>Creates the cursor for the start of a sequence.</summary>
    public static DecodeCursor Start(int pendingStrip) => new() { Position = 0, PreviousId = -1, PendingStrip = pendingStrip };
}
