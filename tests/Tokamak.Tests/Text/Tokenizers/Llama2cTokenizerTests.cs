using System.Text.Json;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>Llama2cTokenizer against run.c output and against llama.cpp on the same vocabulary.</summary>
public sealed class Llama2cTokenizerTests
{
    internal static readonly Lazy<Llama2cTokenizer> Tok512 = new(() => Llama2cTokenizer.FromFile(TestPaths.Model("stories260k/tok512.bin")));

    [Fact]
    public void Encode_MatchesRunC_PromptTokens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("llama2c/stories260K.json")));
        var run = doc.RootElement.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("prompt").GetString() == "Once upon a time");
        var printed = run.GetProperty("printed_token_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        // run.c prints the prompt tokens after BOS first: "Once upon a time" is 4 tokens.
        Assert.Equal(new[] { 1 }.Concat(printed[..4]), Tok512.Value.Encode("Once upon a time", true));
        Assert.Equal(new[] { 1 }, Tok512.Value.Encode("", true));
        Assert.Empty(Tok512.Value.Encode("", false));
    }

    [Fact]
    public void Decode_MatchesRunC_Stdout()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("llama2c/stories260K.json")));
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            var printed = run.GetProperty("printed_token_ids").EnumerateArray().Select(x => x.GetInt32());
            string stdout = run.GetProperty("stdout").GetString()!;
            Assert.EndsWith("\n", stdout); // run.c's final newline is not a token
            var ids = new[] { 1 }.Concat(printed).ToArray();
            Assert.Equal(stdout[..^1], Tok512.Value.Decode(ids, skipSpecialTokens: true));
        }
    }

    /// <summary>The GGUF of stories260K carries the same vocabulary; llama.cpp's SPM without special parsing must agree with run.c.</summary>
    [Fact]
    public void Encode_WithoutBos_EqualsLlamaCppOnSameVocab()
    {
        var failures = new List<string>();
        foreach (var c in TokenizerReferenceCases.Load("stories260K-gguf-llamacpp"))
        {
            var ids = Tok512.Value.Encode(c.Input, false);
            if (!ids.SequenceEqual(c.IdsNoSpecial!))
                failures.Add($"{TokenizerReferenceCases.Show(c.Input)}: {TokenizerReferenceCases.Show(ids)} != {TokenizerReferenceCases.Show(c.IdsNoSpecial)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("models/stories260k/tok512.bin", null)]
    [InlineData("tokenizers/llama2/tokenizer.bin", 32000)]
    public void RoundTrip_AllReferenceStrings(string relative, int? vocabSize)
    {
        var tok = Llama2cTokenizer.FromFile(Path.Combine(TestPaths.Shared, relative), vocabSize);
        foreach (var c in TokenizerReferenceCases.Load("qwen3"))
        {
            Assert.Equal(c.Input, tok.Decode(tok.Encode(c.Input, true), skipSpecialTokens: true));
            // without BOS run.c strips nothing, so the dummy-prefix space stays
            Assert.Equal(c.Input.Length == 0 ? "" : " " + c.Input, tok.Decode(tok.Encode(c.Input, false)));
        }
    }

    [Fact]
    public void FromFile_Errors()
    {
        Assert.Throws<FileNotFoundException>(() => Llama2cTokenizer.FromFile(Path.Combine(TestPaths.Shared, "no-such-tokenizer.bin")));
        string truncated = Path.GetTempFileName();
        try
        {
            var bytes = File.ReadAllBytes(TestPaths.Model("stories260k/tok512.bin"));
            File.WriteAllBytes(truncated, bytes[..^3]);
            var ex = Assert.Throws<InvalidDataException>(() => Llama2cTokenizer.FromFile(truncated));
            Assert.Contains("token 511", ex.Message);
        }
        finally { File.Delete(truncated); }
    }
}
