using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>HfTokenizer against tokenizers.js outputs for the 71 reference strings.</summary>
public sealed class HfTokenizerReferenceTests
{
    internal static readonly Lazy<HfTokenizer> Qwen3 = new(() => HfTokenizer.FromDirectory(TestPaths.Tokenizer("qwen3")));
    internal static readonly Lazy<HfTokenizer> Llama3 = new(() => HfTokenizer.FromDirectory(TestPaths.Tokenizer("llama3")));
    internal static readonly Lazy<HfTokenizer> TinyStories = new(() => HfTokenizer.FromDirectory(TestPaths.Model("tinystories-656k")));

    [Fact]
    public void Qwen3_MatchesReference() => TokenizerReferenceCases.AssertAll(Qwen3.Value, TokenizerReferenceCases.Load("qwen3"));

    [Fact]
    public void Llama3_MatchesReference() => TokenizerReferenceCases.AssertAll(Llama3.Value, TokenizerReferenceCases.Load("llama3"));

    [Fact]
    public void TinyStories_MatchesReference() =>
        TokenizerReferenceCases.AssertAll(TinyStories.Value, TokenizerReferenceCases.Load("tinystories-656k"));

    [Fact]
    public void SpecialIds_ComeFromConfigAndTemplate()
    {
        Assert.Equal(151645, Qwen3.Value.EosId); // "<|im_end|>" in tokenizer_config.json
        Assert.Null(Qwen3.Value.BosId);
        Assert.Equal(128000, Llama3.Value.BosId);
        Assert.Equal(1, TinyStories.Value.BosId);
        Assert.True(Qwen3.Value.IsSpecial(151644));
        Assert.False(Qwen3.Value.IsSpecial(220));
        Assert.Equal("Ġ", Qwen3.Value.TokenToPiece(220));
        Assert.Equal(220, Qwen3.Value.PieceToId("Ġ"));
        Assert.Equal(151644, Qwen3.Value.PieceToId("<|im_start|>"));
    }
}
