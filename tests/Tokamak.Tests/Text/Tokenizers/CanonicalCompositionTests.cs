using Tokamak.Text.Tokenizers.Hf;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>Table-driven NFC/NFD against hand-checked examples from UAX #15 and the Unicode charts.</summary>
public sealed class CanonicalCompositionTests
{
    [Theory]
    [InlineData("a\u0301", "\u00E1")]                        // a + acute → á
    [InlineData("\u00E1", "\u00E1")]                         // already composed
    [InlineData("A\u030A", "\u00C5")]                        // Å (not the Ångström sign U+212B, a singleton)
    [InlineData("\u212B", "\u00C5")]                         // singleton decomposition, recomposes to Å
    [InlineData("s\u0323\u0307", "\u1E69")]                  // ṩ: dot below (220) then dot above (230)
    [InlineData("s\u0307\u0323", "\u1E69")]                  // same after canonical reordering
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]             // Hangul L+V+T → 각
    [InlineData("\u0344", "\u0308\u0301")]                   // excluded from composition
    [InlineData("e\u0300 o\u0308 n\u0303", "\u00E8 \u00F6 \u00F1")]
    [InlineData("\u0301a", "\u0301a")]                       // a leading mark stays
    [InlineData("😀a\u0301", "😀\u00E1")]
    public void Nfc(string input, string expected) => Assert.Equal(expected, CanonicalComposition.ToNfc(input));

    [Theory]
    [InlineData("\u00E1", "a\u0301")]
    [InlineData("\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("\u1E69", "s\u0323\u0307")]
    public void Nfd(string input, string expected) => Assert.Equal(expected, CanonicalComposition.ToNfd(input));
}
