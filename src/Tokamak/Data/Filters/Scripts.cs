using System.Text;

namespace Tokamak.Data.Filters;

/// <summary>Writing systems the charset filter can allow.</summary>
[Flags]
public enum Script
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Latin (Basic Latin letters, Latin-1, Extended-A/B, IPA, Extended Additional).</summary>
    Latin = 1,
    /// <summary>Greek.</summary>
    Greek = 2,
    /// <summary>Cyrillic.</summary>
    Cyrillic = 4,
    /// <summary>Arabic.</summary>
    Arabic = 8,
    /// <summary>Hebrew.</summary>
    Hebrew = 16,
    /// <summary>Devanagari.</summary>
    Devanagari = 32,
    /// <summary>Thai.</summary>
    Thai = 64,
    /// <summary>Han ideographs (CJK unified, extensions, compatibility).</summary>
    Han = 128,
    /// <summary>Japanese Hiragana.</summary>
    Hiragana = 256,
    /// <summary>Japanese Katakana.</summary>
    Katakana = 512,
    /// <summary>Korean Hangul.</summary>
    Hangul = 1024,
    /// <summary>Han, kana and Hangul together.</summary>
    Cjk = Han | Hiragana | Katakana | Hangul,
}

/// <summary>Maps a letter to its <see cref="Script"/> by Unicode block ranges (.NET has no script property).</summary>
public static class Scripts
{
    /// <summary>The script of <paramref name="r"/>, or <see cref="Script.None"/> for anything outside the known blocks.</summary>
    public static Script Of(Rune r)
    {
        int c = r.Value;
        return c switch
        {
            (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= 0x00C0 and <= 0x024F) or (>= 0x0250 and <= 0x02AF) or (>= 0x1E00 and <= 0x1EFF)
                or (>= 0xFF21 and <= 0xFF3A) or (>= 0xFF41 and <= 0xFF5A) => Script.Latin,
            (>= 0x0370 and <= 0x03FF) or (>= 0x1F00 and <= 0x1FFF) => Script.Greek,
            (>= 0x0400 and <= 0x052F) => Script.Cyrillic,
            (>= 0x0590 and <= 0x05FF) => Script.Hebrew,
            (>= 0x0600 and <= 0x06FF) or (>= 0x0750 and <= 0x077F) => Script.Arabic,
            (>= 0x0900 and <= 0x097F) => Script.Devanagari,
            (>= 0x0E00 and <= 0x0E7F) => Script.Thai,
            (>= 0x3040 and <= 0x309F) => Script.Hiragana,
            (>= 0x30A0 and <= 0x30FF) or (>= 0x31F0 and <= 0x31FF) or (>= 0xFF66 and <= 0xFF9F) => Script.Katakana,
            (>= 0x1100 and <= 0x11FF) or (>= 0x3130 and <= 0x318F) or (>= 0xAC00 and <= 0xD7AF) => Script.Hangul,
            (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x3134F) => Script.Han,
            _ => Script.None,
        };
    }

    /// <summary>True for ideographs, kana and Hangul (scripts written without spaces between words).</summary>
    public static bool IsCjk(Rune r) => (Of(r) & Script.Cjk) != 0;
}
