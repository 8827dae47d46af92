using System.Text;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>Streaming output, concatenated, must equal Decode of the whole sequence for every reference string.</summary>
public sealed class StreamingDetokenizerTests
{
    public static TheoryData<string> Tokenizers => new() { "qwen3", "llama3", "tinystories-hf", "stories260k-gguf", "tinystories-gguf", "llama2c" };

    private static Tokenizer Get(string name) => name switch
    {
        "qwen3" => HfTokenizerReferenceTests.Qwen3.Value,
        "llama3" => HfTokenizerReferenceTests.Llama3.Value,
        "tinystories-hf" => HfTokenizerReferenceTests.TinyStories.Value,
        "stories260k-gguf" => GgufVocabTokenizerTests.Stories260K.Value,
        "tinystories-gguf" => GgufVocabTokenizerTests.TinyStories.Value,
        "llama2c" => Llama2cTokenizerTests.Tok512.Value,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void StreamedText_EqualsDecode(string name)
    {
        var tok = Get(name);
        var inputs = TokenizerReferenceCases.Load("qwen3").Select(c => c.Input).ToList();
        inputs.Add(string.Concat(inputs)); // one long sequence across all of them
        var streamer = new StreamingDetokenizer(tok);
        var skipping = new StreamingDetokenizer(tok, skipSpecialTokens: true);
        foreach (var input in inputs)
        {
            foreach (bool special in new[] { true, false })
            {
                var ids = tok.Encode(input, special);
                Assert.Equal(tok.Decode(ids), Stream(streamer, ids, out _));
                Assert.Equal(tok.Decode(ids, skipSpecialTokens: true), Stream(skipping, ids, out _));
            }
        }
    }

    private static string Stream(StreamingDetokenizer streamer, int[] ids, out List<string> chunks)
    {
        chunks = [];
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            string chunk = streamer.Next(id);
            chunks.Add(chunk);
            sb.Append(chunk);
        }
        sb.Append(streamer.Flush());
        return sb.ToString();
    }

    /// <summary>An emoji spelled by byte tokens must not come out half: chunks are valid text, the emoji in one piece.</summary>
    [Theory]
    [InlineData("qwen3", false)]   // these emoji are single byte-level tokens
    [InlineData("stories260k-gguf", true)]
    [InlineData("llama2c", true)]
    public void Emoji_IsNeverSplit(string name, bool spelledByBytes)
    {
        var tok = Get(name);
        var ids = tok.Encode("ok 😀🎉 done", false);
        var text = Stream(new StreamingDetokenizer(tok), ids, out var chunks);
        Assert.Contains(chunks, c => c.Contains("😀"));
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c));
        Assert.All(chunks, c => Assert.False(c.Length > 0 && (char.IsLowSurrogate(c[0]) || char.IsHighSurrogate(c[^1])), $"split surrogate pair in {c}"));
        Assert.Equal(tok.Decode(ids), text);
        // spelled by <0xNN> tokens, an emoji needs 4 ids, so some Next calls must have held text back
        if (spelledByBytes) Assert.Contains("", chunks);
    }

    [Fact]
    public void CleanUpSpaces_HoldsBackSpaceBeforePunctuation()
    {
        var tok = HfTokenizerReferenceTests.Llama3.Value; // clean_up_tokenization_spaces: true
        var ids = tok.Encode("Hello , world . I do n't know ?", false);
        string expected = tok.Decode(ids);
        Assert.Equal("Hello, world. I don't know?", expected);
        Assert.Equal(expected, Stream(new StreamingDetokenizer(tok), ids, out _));
    }

    [Fact]
    public void Reset_StartsANewSequence()
    {
        var tok = GgufVocabTokenizerTests.Stories260K.Value;
        var streamer = new StreamingDetokenizer(tok);
        var ids = tok.Encode("Hello world", false);
        string first = Stream(streamer, ids, out _);
        string second = Stream(streamer, ids, out _); // Flush resets: the leading space is stripped again
        Assert.Equal(first, second);
        Assert.Equal("Hello world", first);
    }
}
