using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Tensors;
using Tokamak.Training;
using Tokamak.Training.Export;

namespace Tokamak.Tests.Training;

public class ExportTests
{
    private static readonly int[] Tokens = [1, 403, 12, 977, 55, 8, 1500, 3, 3, 260, 71, 2];

    /// <summary>Every position's logits from the inference engine, for the model at <paramref name="path"/>.</summary>
    internal static float[] InferenceLogits(string path, int[] tokens)
    {
        using var w = WeightsLoader.Load(path);
        var lm = new LlamaModel(w.Config, w.Weights);
        var state = lm.CreateState(tokens.Length + 1);
        var logits = new float[tokens.Length * w.Config.VocabSize];
        lm.Forward(state, tokens, logits);
        return logits;
    }

    /// <summary>The training model's logits for one unpacked sequence.</summary>
    internal static float[] TrainingLogits(LlamaTrainModel m, int[] tokens)
    {
        bool training = m.Training;
        m.Training = false;
        m.Forward(new TrainBatch(tokens, tokens.Select(_ => -100).ToArray(), PackedSequences.Single(tokens.Length)));
        m.Training = training;
        return m.Logits.ToArray();
    }

    internal static void AssertClose(float[] expected, float[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tol, $"max |Δlogit| {worst:G3} > {tol}");
    }

    [Theory]
    [InlineData("tinystories-656k")]
    [InlineData("tinystories-656k-gguf/tinystories-656k-f32.gguf")]
    [InlineData("tinystories-656k-gguf/tinystories-656k-f16.gguf")]
    public void LoadedModelMatchesInferenceLogits(string model)
    {
        string path = TestPaths.Model(model);
        var m = PretrainedLoader.Load(path);
        AssertClose(InferenceLogits(path, Tokens), TrainingLogits(m, Tokens), 1e-4);
    }

    [Fact]
    public void QuantizedGgufLoadsDequantized()
    {
        // Q8_0 inference quantizes activations too, so only closeness to the F32 model is expected.
        var q8 = PretrainedLoader.Load(TestPaths.Model("tinystories-656k-gguf/tinystories-656k-q8_0.gguf"));
        var f32 = PretrainedLoader.Load(TestPaths.Model("tinystories-656k"));
        var a = TrainingLogits(q8, Tokens);
        var b = TrainingLogits(f32, Tokens);
        AssertClose(b, a, 0.5);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("tinystories-656k")]
    [InlineData("tinystories-656k-gguf/tinystories-656k-f32.gguf")] // interleaved RoPE rows go back to HF order
    public void ExportedModelRunsInInferenceWithTheTrainingLogits(string model)
    {
        string path = TestPaths.Model(model);
        var m = PretrainedLoader.Load(path);
        // Move every weight away from the original so a stale copy could not pass.
        var rng = new TrainRng(3);
        for (int i = 0; i < m.Parameters.Length; i++) m.Parameters[i] += (float)(rng.NextGaussian() * 0.01);
        var dir = Directory.CreateTempSubdirectory("tokamak-export");
        try
        {
            HfModelExporter.Export(m, dir.FullName, TestPaths.Model("tinystories-656k"));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tokenizer.json")));
            AssertClose(TrainingLogits(m, Tokens), InferenceLogits(dir.FullName, Tokens), 1e-4);
            var reloaded = PretrainedLoader.Load(dir.FullName);
            Assert.Equal(m.Parameters.Length, reloaded.Parameters.Length);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Theory]
    [InlineData(DType.F32, 1e-4)]
    [InlineData(DType.BF16, 0.05)]
    public void UntiedModelWithBiasesRoundTrips(DType dtype, double tol)
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(tied: false, qkvBias: true));
        m.InitializeWeights(11, 0.3f);
        foreach (var t in m.Layout.Tensors.Where(t => t.Name.EndsWith(".bias")))
            GradCheck.Random((int)t.Length, (int)t.Offset, 0.3f).CopyTo(t.Of(m.Parameters));
        var dir = Directory.CreateTempSubdirectory("tokamak-export");
        try
        {
            HfModelExporter.Export(m, dir.FullName, dtype: dtype);
            int[] toks = [1, 5, 9, 2, 30, 7, 7, 3];
            AssertClose(TrainingLogits(m, toks), InferenceLogits(dir.FullName, toks), tol);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void RopeRowOrderRoundTrips()
    {
        var src = GradCheck.Random(2 * 8 * 3, 1);
        var neox = new float[src.Length];
        var back = new float[src.Length];
        RopeRowOrder.InterleavedToNeox(src, neox, 2, 8, 3);
        RopeRowOrder.NeoxToInterleaved(neox, back, 2, 8, 3);
        Assert.Equal(src, back);
        // Interleaved row 2j+s of head 1 is Neox row s·4 + j: row 8+3 (j=1, s=1) → row 8+5.
        Assert.Equal(src.AsSpan(11 * 3, 3).ToArray(), neox.AsSpan(13 * 3, 3).ToArray());
    }
}
