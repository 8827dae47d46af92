using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>GgufVocabTokenizer (SPM) against llama.cpp's llama_tokenize/llama_detokenize outputs.</summary>
public sealed class GgufVocabTokenizerTests
{
    internal static readonly Lazy<Dictionary<string, object>> Stories260KMetadata =
        new(() => GgufMetadataForTests.Read(TestPaths.Model("stories260k/stories260K.gguf")));
    internal static readonly Lazy<Tokenizer> Stories260K = new(() => GgufVocabTokenizer.FromMetadata(Stories260KMetadata.Value));
    internal static readonly Lazy<Tokenizer> TinyStories = new(() =>
        GgufVocabTokenizer.FromMetadata(GgufMetadataForTests.Read(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-q8_0.gguf"))));

    [Fact]
    public void Stories260K_MatchesLlamaCpp() =>
        TokenizerReferenceCases.AssertAll(Stories260K.Value, TokenizerReferenceCases.Load("stories260K-gguf-llamacpp"));

    [Fact]
    public void TinyStories_MatchesLlamaCpp_WhereLlamaCppDoesNotThrow() =>
        TokenizerReferenceCases.AssertAll(TinyStories.Value, TokenizerReferenceCases.Load("tinystories-656k-q8_0-gguf-llamacpp"));

    /// <summary>
    /// Where llama.cpp throws (a character with no piece and no byte pieces), we emit one &lt;unk&gt; per such
    /// character and otherwise tokenize as llama.cpp: so the ids around it equal the ids of the text without it.
    /// </summary>
    [Fact]
    public void TinyStories_CharacterWithoutPiece_BecomesOneUnk()
    {
        var tok = TinyStories.Value;
        var cases = TokenizerReferenceCases.Load("tinystories-656k-q8_0-gguf-llamacpp");
        Assert.Contains(cases, c => c.Error is not null && c.Input == "\t");
        int unk = tok.PieceToId("<unk>")!.Value;
        Assert.Equal(new[] { 1, 80, unk }, tok.Encode("\t")); // BOS, the ▁ prefix, then <unk> for the tab
        // A tab merges with nothing, so "Hello" tokenizes exactly as llama.cpp does alone, then one <unk> per tab.
        var hello = cases.Single(c => c.Input == "Hello");
        Assert.Equal(hello.Ids!.Concat(new[] { unk, unk }), tok.Encode("Hello\t\t", true));
        Assert.Equal("Hello<unk><unk>", tok.Decode(tok.Encode("Hello\t\t", false)));
        Assert.Equal(" Hello", tok.Decode(tok.Encode("Hello\t\t", true), skipSpecialTokens: true)); // no strip after a removed BOS, as llama.cpp
    }

    [Fact]
    public void UnsupportedModel_Throws()
    {
        var meta = new Dictionary<string, object>(Stories260KMetadata.Value) { ["tokenizer.ggml.model"] = "bert" };
        var ex = Assert.Throws<NotSupportedException>(() => GgufVocabTokenizer.FromMetadata(meta));
        Assert.Contains("bert", ex.Message);
    }

    [Fact]
    public void MissingTokens_Throws()
    {
        var meta = new Dictionary<string, object>(Stories260KMetadata.Value);
        meta.Remove("tokenizer.ggml.tokens");
        Assert.Throws<InvalidDataException>(() => GgufVocabTokenizer.FromMetadata(meta));
    }

    [Fact]
    public void LenientNumericTypes_GiveSameTokenizer()
    {
        var meta = new Dictionary<string, object>(Stories260KMetadata.Value);
        meta["tokenizer.ggml.bos_token_id"] = (ulong)1;
        meta["tokenizer.ggml.token_type"] = ((int[])meta["tokenizer.ggml.token_type"]).Select(t => (uint)t).ToArray();
        var tok = GgufVocabTokenizer.FromMetadata(meta);
        Assert.Equal(Stories260K.Value.Encode("Once upon a time"), tok.Encode("Once upon a time"));
        Assert.Equal(1, tok.BosId);
    }
}
