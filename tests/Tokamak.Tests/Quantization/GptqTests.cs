using Tokamak.Analysis;
using Tokamak.Models;
using Tokamak.Quantization;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.Gptq;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;
using Tokamak.Tests.Models.Formats;

namespace Tokamak.Tests.Quantization;

/// <summary>GPTQ against round-to-nearest on a layer and on a model; block packing through the real kernels.</summary>
public class GptqTests
{
    // X [samples, cols] with strongly correlated channels (few latent factors mixed, plus a few loud channels).
    private static (float[] W, float[] X, double[] H) Layer(int rows, int cols, int samples, int seed)
    {
        var rng = new Random(seed);
        float G() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        int factors = 8;
        var mix = new float[factors * cols];
        for (int i = 0; i < mix.Length; i++) mix[i] = G();
        var x = new float[samples * cols];
        for (int s = 0; s < samples; s++)
        {
            var z = Enumerable.Range(0, factors).Select(_ => G()).ToArray();
            for (int c = 0; c < cols; c++)
            {
                float v = 0.1f * G();
                for (int f = 0; f < factors; f++) v += z[f] * mix[f * cols + c];
                x[s * cols + c] = c % 16 == 3 ? 5 * v : v;
            }
        }
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = 0.1f * G();
        var h = new double[cols * cols];
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) h[i * cols + j] += 2.0 * x[s * cols + i] * x[s * cols + j] / samples;
        return (w, x, h);
    }

    private static double OutputError(float[] w, float[] wq, float[] x, int rows, int cols)
    {
        double e = 0;
        for (int s = 0; s < x.Length / cols; s++)
            for (int r = 0; r < rows; r++)
            {
                double d = 0;
                for (int c = 0; c < cols; c++) d += (w[r * cols + c] - wq[r * cols + c]) * (double)x[s * cols + c];
                e += d * d;
            }
        return Math.Sqrt(e);
    }

    [Theory]
    [InlineData(4, 32, false)]
    [InlineData(4, 32, true)]
    [InlineData(3, 64, false)]
    [InlineData(8, 32, false)]
    public void GptqBeatsRoundToNearestOnCorrelatedInputs(int bits, int group, bool actOrder)
    {
        const int rows = 24, cols = 128;
        var (w, x, h) = Layer(rows, cols, 512, 7);
        var gptq = GptqQuantizer.Quantize(w, rows, cols, h, new GptqOptions { Bits = bits, GroupSize = group, ActOrder = actOrder, BlockSize = 48 });
        var rtn = QuantizedMatrix.RoundToNearest(w, rows, cols, new SymmetricGrid(bits), group);
        double eg = OutputError(w, gptq.Dequantize(), x, rows, cols), er = OutputError(w, rtn.Dequantize(), x, rows, cols);
        Assert.True(eg < 0.9 * er, $"GPTQ ‖WX−ŴX‖ = {eg:G4} vs RTN {er:G4}");
        var grid = new SymmetricGrid(bits);
        Assert.All(gptq.Levels, q => Assert.InRange(q, grid.Min, grid.Max));
    }

    [Fact]
    public void BlocksDecodeToTheSameValuesAndRunInMatMul()
    {
        const int rows = 8, cols = 64;
        var (w, x, h) = Layer(rows, cols, 64, 3);
        foreach (int bits in new[] { 3, 4, 8 })
        {
            var q = GptqQuantizer.Quantize(w, rows, cols, h, new GptqOptions { Bits = bits });
            using var buf = new NativeBuffer(DTypes.ByteCount(q.Grid.Storage, rows * cols));
            var t = q.ToTensor("w", buf);
            var decoded = new float[rows * cols];
            unsafe { Dequant.RowScalar(t.DType, t.Data, decoded); }
            Assert.Equal(q.Dequantize(), decoded);
            var y = new float[4 * rows];
            MatMul.Forward(t, x.AsSpan(0, 4 * cols), y, 4);
            for (int s = 0; s < 4; s++)
                for (int r = 0; r < rows; r++)
                {
                    double e = 0;
                    for (int c = 0; c < cols; c++) e += decoded[r * cols + c] * (double)x[s * cols + c];
                    Assert.Equal(e, y[s * rows + r], 3);
                }
        }
    }

    [Fact]
    public void NaNWeightsNameTheTensor()
    {
        var w = new float[32 * 2];
        w[5] = float.NaN;
        var h = new double[32 * 32];
        for (int i = 0; i < 32; i++) h[i * 33] = 1;
        var e = Assert.Throws<InvalidDataException>(() => GptqQuantizer.Quantize(w, 2, 32, h, new GptqOptions(), "blk.3.ffn_down.weight"));
        Assert.Contains("blk.3.ffn_down.weight", e.Message);
        Assert.Throws<ArgumentException>(() => new GptqOptions { GroupSize = 48 }.Validate());
        Assert.Throws<ArgumentException>(() => new GptqOptions { Bits = 5 }.Validate());
    }

    [Fact]
    public void GptqModelHasLowerKlThanRoundToNearestOnDistinctText()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-f32.gguf"));
        string text = File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt"));
        string calib = Path.GetTempFileName();
        try
        {
            File.WriteAllText(calib, text[..(text.Length / 2)]);
            var samples = CalibrationSet.Load(calib, m.Tokenizer, 12, 128);
            Assert.Equal(12, samples.Count);
            var eval = m.Tokenizer.Encode(text[(text.Length / 2)..], addSpecialTokens: true);
            var b = KlDivergence.ComputeBase(m.Model, eval, 128, m.Tokenizer.BosId);
            foreach (int bits in new[] { 4, 3 })
            {
                using var g = LayerwiseQuantizer.Gptq(m.Model, samples, new GptqOptions { Bits = bits });
                using var r = LayerwiseQuantizer.RoundToNearest(m.Model, bits);
                var kg = KlDivergence.Compare(g.Model, b);
                var kr = KlDivergence.Compare(r.Model, b);
                Assert.True(kg.MeanKl < kr.MeanKl, $"{bits}-bit: GPTQ KL {kg.MeanKl:G4} vs RTN {kr.MeanKl:G4}");
                Assert.Equal(DType.Q4_0, g.Model.Weights.Layers[0].Wq.DType);
            }
        }
        finally
        {
            File.Delete(calib);
        }
    }

    /// <summary>HF source (NeoX Q/K rows, so the writer reorders whole block rows): the file runs like the in-memory model.</summary>
    [Theory]
    [InlineData(4, false)]
    [InlineData(8, true)]
    public void WrittenGptqFileLoadsAndMatchesTheInMemoryModel(int bits, bool actOrder)
    {
        string src = TestPaths.Model("tinystories-656k");
        string dir = Directory.CreateTempSubdirectory("tokamak-gptq-").FullName;
        try
        {
            using var m = ModelLoader.Load(src);
            string calib = Path.Combine(dir, "calib.txt");
            File.WriteAllText(calib, File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt")));
            var samples = CalibrationSet.Load(calib, m.Tokenizer, 4, 64);
            using var g = LayerwiseQuantizer.Gptq(m.Model, samples, new GptqOptions { Bits = bits, ActOrder = actOrder });
            string outPath = Path.Combine(dir, "gptq.gguf");
            var summary = Quantizer.Write(m, src, outPath, QuantRecipe.Parse("f32"), weights: g.Model.Weights, preQuantized: g.Quantized);
            var want = bits == 8 ? DType.Q8_0 : DType.Q4_0;
            Assert.Equal(7 * m.Config.Layers, summary.TensorTypes.Count(t => t.Type == want));
            using var f = ModelLoader.Load(outPath);
            Assert.Equal(want, f.Model.Weights.Layers[0].Wq.DType);
            var prompt = m.Tokenizer.Encode("Once upon a time, there was a little girl named Lily.");
            Assert.Equal(GreedyRun.Tokens(g.Model, prompt, 32), GreedyRun.Tokens(f.Model, prompt, 32));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
