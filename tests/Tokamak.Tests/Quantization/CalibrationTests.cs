using Tokamak.Models;
using Tokamak.Quantization.Calibration;

namespace Tokamak.Tests.Quantization;

/// <summary>Calibration files and activation statistics gathered through the forward pass.</summary>
public class CalibrationTests
{
    private static string Temp(string ext, string content)
    {
        string p = Path.Combine(Path.GetTempPath(), $"tokamak-calib-{Guid.NewGuid():N}{ext}");
        File.WriteAllText(p, content);
        return p;
    }

    [Fact]
    public void ReadsTextAndJsonlAndRejectsBadFiles()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        string text = Temp(".txt", string.Concat(Enumerable.Repeat("Once upon a time there was a little cat. ", 40)));
        string jsonl = Temp(".jsonl", "{\"text\":\"Tom had a red ball.\"}\n\n{\"text\":\"Lily went to the park with her mom.\"}\n");
        string empty = Temp(".txt", "  \n");
        string badJson = Temp(".jsonl", "{\"txt\":\"x\"}\n");
        try
        {
            var s = CalibrationSet.Load(text, m.Tokenizer, 3, 32);
            Assert.Equal(3, s.Count);
            Assert.All(s, x => Assert.Equal(32, x.Length));
            var j = CalibrationSet.Load(jsonl, m.Tokenizer, 10, 64);
            Assert.Equal(2, j.Count);
            Assert.Equal(m.Tokenizer.Encode("Tom had a red ball.", addSpecialTokens: true), j[0]);
            Assert.Contains(empty, Assert.Throws<InvalidDataException>(() => CalibrationSet.Load(empty, m.Tokenizer, 4, 32)).Message);
            Assert.Contains(badJson, Assert.Throws<InvalidDataException>(() => CalibrationSet.Load(badJson, m.Tokenizer, 4, 32)).Message);
            Assert.Contains("missing.txt", Assert.Throws<FileNotFoundException>(() => CalibrationSet.Load("missing.txt", m.Tokenizer, 4, 32)).Message);
        }
        finally
        {
            foreach (var p in new[] { text, jsonl, empty, badJson }) File.Delete(p);
        }
    }

    [Fact]
    public void StatisticsMatchActivationsRecomputedByHand()
    {
        // The first layer's attention input is RMSNorm(embedding) ⊙ weight: recompute it independently.
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        var c = m.Config;
        int[] tokens = [1, 50, 300, 7, 1200];
        var max = new ChannelMaxCollector(c);
        var hc = new HessianCollector(c, 0);
        Calibrator.Run(m.Model, [tokens], max);
        Calibrator.Run(m.Model, [tokens], hc);
        var emb = new float[c.VocabSize * c.HiddenSize];
        unsafe { Tokamak.Tensors.Kernels.Dequant.RowScalar(m.Model.Weights.Embedding.DType, m.Model.Weights.Embedding.Data, emb); }
        var norm = m.Model.Weights.Layers[0].AttnNorm;
        var xs = tokens.Select(t =>
        {
            var e = emb.AsSpan(t * c.HiddenSize, c.HiddenSize).ToArray();
            double ms = e.Sum(v => (double)v * v) / e.Length;
            return e.Select((v, i) => (float)(v / Math.Sqrt(ms + c.RmsEps) * norm[i])).ToArray();
        }).ToArray();
        var h = hc.Hessian(LinearInput.Attention);
        for (int i = 0; i < c.HiddenSize; i++)
        {
            Assert.Equal(xs.Max(x => Math.Abs(x[i])), max.Max(0, LinearInput.Attention)[i], 4);
            for (int j = 0; j < c.HiddenSize; j += 17)
                Assert.Equal(2.0 / tokens.Length * xs.Sum(x => (double)x[i] * x[j]), h[i * c.HiddenSize + j], 3);
        }
        Assert.Null(m.Model.Observer); // detached afterwards
    }
}
