using System.Text.RegularExpressions;
using Tokamak.Text.Tokenizers;
using Tokamak.Text.Tokenizers.Hf;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>Bad tokenizer files give clear exceptions; Oniguruma patterns translate to equivalent .NET ones.</summary>
public sealed class HfTokenizerErrorAndRegexTests
{
    private static string WriteTemp(string content)
    {
        string path = Path.Combine(Path.GetTempPath(), $"tokamak-tok-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void MissingFile_Throws()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => HfTokenizer.FromFile("/nonexistent/tokenizer.json"));
        Assert.Contains("/nonexistent/tokenizer.json", ex.Message);
        Assert.Throws<FileNotFoundException>(() => HfTokenizer.FromDirectory(Path.GetTempPath()));
    }

    [Fact]
    public void MalformedJson_Throws()
    {
        string path = WriteTemp("{\"model\": {\"type\": \"BPE\", \"vocab\": {");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => HfTokenizer.FromFile(path));
            Assert.Contains("malformed JSON", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void UnsupportedModelType_Throws()
    {
        string path = WriteTemp("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}");
        try
        {
            var ex = Assert.Throws<NotSupportedException>(() => HfTokenizer.FromFile(path));
            Assert.Contains("WordPiece", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MergeWithUnknownToken_Throws()
    {
        string path = WriteTemp("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a c\"]}}");
        try { Assert.Throws<InvalidDataException>(() => HfTokenizer.FromFile(path)); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void OutOfRangeId_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => HfTokenizerReferenceTests.TinyStories.Value.Decode([5000]));

    [Theory]
    [InlineData(@"\p{L}++", @"(?>\p{L}+)")]
    [InlineData(@" ?[^\s\p{L}]++[\r\n]*", @" ?(?>[^\s\p{L}]+)[\r\n]*")]
    [InlineData(@"(?:ab)?+c", @"(?>(?:ab)?)c")]
    [InlineData(@"a*+", @"(?>a*)")]
    [InlineData(@"\p{N}{1,3}", @"\p{N}{1,3}")]
    [InlineData(@"x{,2}", @"x{0,2}")]
    [InlineData(@"[+*?]+?", @"[+*?]+?")]
    public void PossessiveQuantifiers_BecomeAtomicGroups(string onig, string dotnet) =>
        Assert.Equal(dotnet, OnigRegex.TranslateSyntax(onig));

    /// <summary>Without the stand-in mapping, .NET would match "[^L]?\p{L}+" starting on the emoji's low surrogate.</summary>
    [Fact]
    public void SupplementaryCodePoints_MatchAsOneChar()
    {
        var regex = OnigRegex.Translate(@"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+");
        var matches = new List<(int Start, int Length)>();
        const string text = "😀abc 𝐀𝐁 x";  // emoji + letters; U+1D400 MATHEMATICAL BOLD A/B are letters
        regex.FindAll(text, matches);
        var pieces = matches.Select(m => text.Substring(m.Start, m.Length)).ToArray();
        Assert.Equal(new[] { "😀abc", " 𝐀𝐁", " x" }, pieces);
        // the naive .NET regex splits differently, which is why the translation exists
        var naive = Regex.Matches(text, @"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+").Select(m => m.Value).ToArray();
        Assert.NotEqual(pieces, naive);
    }

    [Fact]
    public void AddedTokens_LStripRStripSingleWord()
    {
        const string json = """
        {"added_tokens": [
            {"id": 3, "content": "<m>", "lstrip": true, "rstrip": true, "normalized": false, "special": true, "single_word": false},
            {"id": 4, "content": "cat", "lstrip": false, "rstrip": false, "normalized": false, "special": false, "single_word": true}],
         "model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "x": 2, "<m>": 3, "cat": 4, "c": 5, "t": 6}, "merges": []}}
        """;
        string path = WriteTemp(json);
        try
        {
            var tok = HfTokenizer.FromFile(path);
            Assert.Equal(new[] { 0, 3, 0 }, tok.Encode("a  <m>  a")); // spaces on both sides absorbed
            Assert.Equal(new[] { 1, 4, 1 }, tok.Encode(" cat "));     // a whole word
            Assert.Equal(new[] { 5, 0, 6, 2 }, tok.Encode("catx"));    // inside a word: not the added token
        }
        finally { File.Delete(path); }
    }
}
