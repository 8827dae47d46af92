namespace Tokamak.Text.Tokenizers;

/// <summary>
/// GPT-2's reversible byte ↔ char table: printable Latin-1 bytes map to themselves, the other 68 bytes to
/// U+0100.. in order, so every byte sequence becomes a string of visible chars (e.g. space → 'Ġ', '\n' → 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>[256] byte → char.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>[0x144] char → byte, -1 where the char is not in the alphabet.</summary>
    public static readonly short[] CharToByte = BuildReverse();

    private static char[] Build()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static short[] BuildReverse()
    {
        var reverse = new short[0x144];
        Array.Fill(reverse, (short)-1);
        for (int b = 0; b < 256; b++) reverse[ByteToChar[b]] = (short)b;
        return reverse;
    }

    /// <summary>Maps the UTF-8 bytes of <paramref name="text"/> to alphabet chars.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int byteCount = System.Text.Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = byteCount <= 512 ? stackalloc char[byteCount] : new char[byteCount];
        for (int i = 0; i < byteCount; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes spelled by <paramref name="token"/>; false (nothing appended) when a char is outside the
    /// alphabet, in which case callers use the token's own UTF-8 bytes as Hugging Face's Rust decoder does.
    /// </summary>
    public static bool TryDecode(string token, List<byte> output)
    {
        foreach (char c in token)
            if (c >= CharToByte.Length || CharToByte[c] < 0) return false;
        foreach (char c in token) output.Add((byte)CharToByte[c]);
        return true;
    }
}
