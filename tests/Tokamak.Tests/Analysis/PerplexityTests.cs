using System.Text.Json;
using Tokamak.Analysis;
using Tokamak.Models;

namespace Tokamak.Tests.Analysis;

/// <summary>Perplexity against llama-perplexity's recorded results on the same text, models and window sizes.</summary>
public class PerplexityTests
{
    public static TheoryData<string, int, double, int> Cases()
    {
        var data = new TheoryData<string, int, double, int>();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("llamacpp/perplexity/perplexity.json")));
        foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
            data.Add(r.GetProperty("model_file").GetString()!["models/".Length..], r.GetProperty("n_ctx").GetInt32(),
                r.GetProperty("ppl_final").GetDouble(), r.GetProperty("n_tokens_in_file").GetInt32());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLlamaPerplexity(string model, int ctx, double expected, int expectedTokens)
    {
        using var m = ModelLoader.Load(TestPaths.Model(model));
        string text = File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt"));
        var tokens = m.Tokenizer.Encode(text, addSpecialTokens: true);
        Assert.Equal(expectedTokens, tokens.Length);
        var result = Perplexity.Compute(m.Model, tokens, ctx, m.Tokenizer.BosId);
        // 0.5% is the bound; F32 models land within 0.01%. Q8_0 differs more because llama.cpp also
        // quantizes activations to Q8_0 (see shared/reference/README.md).
        Assert.InRange(result.Perplexity, expected * 0.995, expected * 1.005);
    }

    [Fact]
    public void TooShortTextIsAClearError()
    {
        using var m = ModelLoader.Load(TestPaths.Model("stories260k/stories260K.gguf"));
        var e = Assert.Throws<ArgumentException>(() => Perplexity.Compute(m.Model, [1, 2, 3], 128, 1));
        Assert.Contains("fewer than one window", e.Message);
    }
}
