using Tokamak.Analysis;
using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Quantization.Calibration;
using Tokamak.Quantization.SmoothQuant;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;
using Xunit.Abstractions;

namespace Tokamak.Tests.Quantization;

/// <summary>SmoothQuant: int8 GEMM against its scalar reference, exact folding, W8A8 layers and models.</summary>
public sealed class SmoothQuantTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<NativeBuffer> _buffers = [];

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 15)]
    [InlineData(2, 7, 16)]
    [InlineData(4, 9, 33)]
    [InlineData(5, 3, 100)]
    [InlineData(8, 96, 257)]   // big enough for the parallel path; k crosses the 32- and 16-lane loops and a tail
    public void Int8GemmEqualsTheScalarReferenceExactly(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + k);
        var a = Enumerable.Range(0, m * k).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        a[0] = b[0] = -128; // extreme product 16384, twice per vpmaddwd pair
        var want = new int[m * n];
        var got = new int[m * n];
        Int8Gemm.Scalar(a, b, want, m, n, k);
        Int8Gemm.Forward(a, b, got, m, n, k);
        Assert.Equal(want, got);
        Assert.Throws<ArgumentException>(() => Int8Gemm.Forward(a, b, new int[m * n - 1], m, n, k));
    }

    [Fact]
    public void Int8LinearIsCloseToF32AndOutlierChannelsAreExact()
    {
        var rng = new Random(3);
        const int rows = 24, cols = 64, n = 5;
        var w = Enumerable.Range(0, rows * cols).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        var x = Enumerable.Range(0, n * cols).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        for (int r = 0; r < n; r++) x[r * cols + 10] = 60f; // one loud channel
        var exact = new float[n * rows];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < rows; o++)
                for (int j = 0; j < cols; j++) exact[r * rows + o] += x[r * cols + j] * w[o * cols + j];
        double Err(Int8Linear q)
        {
            var y = new float[n * rows];
            q.Forward(x, y, n);
            return exact.Zip(y, (e, g) => Math.Abs(e - g)).Max();
        }
        double plain = Err(new Int8Linear(w, rows, cols, Int8Granularity.PerChannel));
        double withOutlier = Err(new Int8Linear(w, rows, cols, Int8Granularity.PerChannel, [10]));
        double perTensor = Err(new Int8Linear(w, rows, cols, Int8Granularity.PerTensor));
        output.WriteLine($"max |Δy|: per-channel {plain:G3}, with outlier channel in F32 {withOutlier:G3}, per-tensor {perTensor:G3}");
        // Without the loud channel each row's step is 1/254 of ~0.5: error ≈ sqrt(64)·(0.002·0.25 + 0.5·0.002) ≈ 0.01.
        Assert.True(withOutlier < 0.03, $"{withOutlier}");
        Assert.True(withOutlier < plain / 3, $"outlier channel in F32: {withOutlier} vs all int8: {plain}");
    }

    private static string Text => File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt"));

    private static IReadOnlyList<int[]> Calibration(LoadedModel m)
    {
        string text = Text;
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, text[..(text.Length / 2)]);
            return CalibrationSet.Load(path, m.Tokenizer, 8, 128);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ChannelMaxCollector Stats(LlamaModel model, IReadOnlyList<int[]> samples)
    {
        var stats = new ChannelMaxCollector(model.Config);
        Calibrator.Run(model, samples, stats);
        return stats;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.85)]
    public void FoldingLeavesFloatOutputsUnchanged(double alpha)
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        var samples = Calibration(m);
        using var smoothed = Smoother.Apply(m.Model, Stats(m.Model, samples), alpha);
        Assert.NotEqual(m.Model.Weights.Layers[0].AttnNorm, smoothed.Model.Weights.Layers[0].AttnNorm);
        var prompt = m.Tokenizer.Encode(Text[^600..], addSpecialTokens: true).Take(96).ToArray();
        using var a = m.Model.CreateState(128);
        using var b = smoothed.Model.CreateState(128);
        m.Model.Forward(a, prompt);
        smoothed.Model.Forward(b, prompt);
        float scale = a.Logits.ToArray().Max(MathF.Abs);
        double worst = 0;
        for (int i = 0; i < a.Logits.Length; i++) worst = Math.Max(worst, Math.Abs(a.Logits[i] - b.Logits[i]) / scale);
        output.WriteLine($"alpha {alpha}: max |Δlogit| / max |logit| = {worst:G3}");
        Assert.True(worst < 1e-5, $"folding changed the logits by {worst} (relative)");
    }

    /// <summary>
    /// A function-preserving copy of the model with activation outliers: a few hidden channels of each norm weight ×40
    /// and the matching Q/K/V (gate/up) columns ÷40, as LLMs' systematic outlier channels look to a quantizer.
    /// </summary>
    private unsafe LlamaModel WithOutliers(LlamaModel src, int[] channels, float factor)
    {
        var c = src.Config;
        Tensor Scaled(Tensor t)
        {
            var f = new float[t.ElementCount];
            Dequant.Row(t.DType, t.Data, f);
            for (int r = 0; r < t.Rows; r++)
                foreach (int j in channels) f[r * t.Cols + j] /= factor;
            var buf = new NativeBuffer(f.LongLength * 4);
            _buffers.Add(buf);
            f.AsSpan().CopyTo(new Span<float>(buf.Pointer, f.Length));
            return new Tensor(t.Name, DType.F32, [t.Rows, t.Cols], buf.Pointer);
        }
        float[] Loud(float[] norm)
        {
            var r = (float[])norm.Clone();
            foreach (int j in channels) r[j] *= factor;
            return r;
        }
        var layers = src.Weights.Layers.Select(w => new LlamaLayerWeights
        {
            AttnNorm = Loud(w.AttnNorm), FfnNorm = Loud(w.FfnNorm), Wo = w.Wo, Down = w.Down,
            Wq = Scaled(w.Wq), Wk = Scaled(w.Wk), Wv = Scaled(w.Wv), Gate = Scaled(w.Gate), Up = Scaled(w.Up),
        }).ToArray();
        var sw = src.Weights;
        return new LlamaModel(c, new LlamaWeights { Embedding = sw.Embedding, Output = sw.Output, FinalNorm = sw.FinalNorm, Layers = layers });
    }

    [Fact]
    public void OnAModelWithActivationOutliersSmoothingLowersW8A8Kl()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        var model = WithOutliers(m.Model, [5, 40, 77, 120], 40f);
        var samples = Calibration(m);
        string text = Text;
        var eval = m.Tokenizer.Encode(text[(text.Length / 2)..], addSpecialTokens: true);
        var b = KlDivergence.ComputeBase(model, eval, 128, m.Tokenizer.BosId);
        Assert.True(KlDivergence.Compare(m.Model, b).MeanKl < 1e-6, "injecting outliers must not change the float model");

        var stats = Stats(model, samples);
        double Kl(LlamaModel q) => KlDivergence.Compare(q, b).MeanKl;
        double naive = Kl(new W8A8Model(model, Int8Granularity.PerTensor).Model);
        double perToken = Kl(new W8A8Model(model, Int8Granularity.PerChannel).Model);
        using var smoothed = Smoother.Apply(model, stats, 0.5);
        double smooth = Kl(new W8A8Model(smoothed.Model, Int8Granularity.PerChannel).Model);
        double outliers = Kl(new W8A8Model(model, Int8Granularity.PerChannel, stats, 6f).Model);
        output.WriteLine($"mean KL vs F32: naive per-tensor W8A8 {naive:G4}, per-channel/per-token {perToken:G4}, SmoothQuant α=0.5 {smooth:G4}, LLM.int8 outliers>6 {outliers:G4}");
        Assert.True(smooth < perToken, $"smoothing {smooth} vs none {perToken}");
        Assert.True(smooth < naive, $"SmoothQuant {smooth} vs naive per-tensor {naive}");
        Assert.True(outliers < perToken, $"outlier channels in F32 {outliers} vs none {perToken}");
    }

    /// <summary>Per-token activation scales make each row independent of the batch, so the engine's paged forward
    /// gives the single-sequence W8A8 logits.</summary>
    [Fact]
    public void W8A8RunsInThePagedForward()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        var q = new W8A8Model(m.Model, Int8Granularity.PerChannel).Model;
        var prompt = m.Tokenizer.Encode(Text[..400], addSpecialTokens: true).Take(40).ToArray();
        using var s = q.CreateState(64);
        q.Forward(s, prompt);
        using var f = m.Model.CreateState(64);
        m.Model.Forward(f, prompt);

        var spec = new Tokamak.Engine.Kv.KvCacheSpec(m.Config.Layers, m.Config.KvHeads, m.Config.HeadDim, 16);
        using var pool = new Tokamak.Engine.Kv.KvPool(spec, 4);
        using var state = new Tokamak.Engine.PagedForwardState(m.Config, 64, 1);
        var batch = new Tokamak.Engine.Kv.PagedBatch();
        int row = batch.Add(prompt, 0, [0, 1, 2], true);
        q.ForwardPaged(batch, pool, state);
        var paged = state.Logits(row);
        double worst = 0, fromF32 = 0;
        for (int i = 0; i < paged.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(paged[i] - s.Logits[i]));
            fromF32 = Math.Max(fromF32, Math.Abs(paged[i] - f.Logits[i]));
        }
        Assert.True(worst < 1e-3, $"paged W8A8 vs single-sequence W8A8: {worst}");
        Assert.True(fromF32 > 10 * worst, $"W8A8 should differ from F32 ({fromF32}) more than paged from single ({worst})");
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        Assert.Throws<ArgumentException>(() => Smoother.Factors([1f], [1f], 1.5));
        var w = new float[64];
        w[3] = float.NaN;
        var e = Assert.Throws<InvalidDataException>(() => new Int8Linear(w, 2, 32, Int8Granularity.PerChannel, null, "blk.0.attn_q.weight"));
        Assert.Contains("blk.0.attn_q.weight", e.Message);
        Assert.Throws<ArgumentException>(() => new Int8Linear(new float[64], 2, 32, Int8Granularity.PerChannel, [40]));
    }
}
