using Tokamak.Analysis;
using Tokamak.Models;

namespace Tokamak.Tests.Analysis;

/// <summary>KL divergence against a saved base: a model against itself, and Q8_0/Q4_0 against F32.</summary>
public class KlDivergenceTests
{
    private static int[] Tokens(LoadedModel m) =>
        m.Tokenizer.Encode(File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt")), addSpecialTokens: true)[..1024];

    [Fact]
    public void ModelAgainstItselfIsZeroThroughAFileRoundTrip()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        var tokens = Tokens(m);
        var b = KlDivergence.ComputeBase(m.Model, tokens, 128, m.Tokenizer.BosId);
        string path = Path.GetTempFileName();
        try
        {
            b.Save(path);
            var r = KlDivergence.Compare(m.Model, KlBase.Load(path));
            Assert.Equal(0, r.MeanKl);
            Assert.Equal(1.0, r.Top1Agreement);
            Assert.Equal(r.BasePerplexity, r.Perplexity);
            // Same windows as Perplexity.Compute, so the same PPL.
            Assert.Equal(Perplexity.Compute(m.Model, tokens, 128, m.Tokenizer.BosId).Perplexity, r.BasePerplexity, 4);
            Assert.Equal(8 * 63, r.Positions);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void QuantizedModelsDivergeALittleAndQ4MoreThanQ8()
    {
        using var f32 = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        using var q8 = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-q8_0.gguf"));
        using var q4 = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-q4_0.gguf"));
        var b = KlDivergence.ComputeBase(f32.Model, Tokens(f32), 128, f32.Tokenizer.BosId);
        var r8 = KlDivergence.Compare(q8.Model, b);
        var r4 = KlDivergence.Compare(q4.Model, b);
        Assert.InRange(r8.MeanKl, 1e-7, 0.01); // the bound for Q8_0
        Assert.True(r8.Top1Agreement > 0.95, $"Q8_0 top-1 agreement {r8.Top1Agreement:P1}");
        Assert.True(r4.MeanKl > r8.MeanKl, $"Q4_0 KL {r4.MeanKl} should exceed Q8_0's {r8.MeanKl}");
        Assert.True(r4.Top1Agreement < 1.0);
    }

    [Fact]
    public void WrongFileIsAClearError()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a base file");
            var e = Assert.Throws<InvalidDataException>(() => KlBase.Load(path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DifferentVocabularyIsAClearError()
    {
        using var tiny = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        using var other = ModelLoader.Load(TestPaths.Model("stories260k/stories260K.gguf"));
        var b = KlDivergence.ComputeBase(tiny.Model, Tokens(tiny)[..256], 128, tiny.Tokenizer.BosId);
        var e = Assert.Throws<ArgumentException>(() => KlDivergence.Compare(other.Model, b));
        Assert.Contains("vocabulary", e.Message);
    }
}
