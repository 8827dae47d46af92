using Tokamak.Training;
using Tokamak.Training.Kernels;
using Tokamak.Training.Objectives;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class MixedPrecisionTests
{
    private static readonly Tokamak.Models.ModelConfig Cfg =
        TinyConfigs.Llama() with { HiddenSize = 64, IntermediateSize = 128, Heads = 4, KvHeads = 2, HeadDim = 16, VocabSize = 64 };

    private static List<TrainBatch> Batches()
    {
        var r = new TrainRng(9);
        // Four short "documents" drawn from a skewed distribution so there is something to learn.
        return Enumerable.Range(0, 4).Select(_ =>
            TrainBatch.Pack(Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 24).Select(i => (i * 7 + r.NextInt(5)) % 64).ToArray()).ToList())).ToList();
    }

    private static double[] Train(MatMulPrecision precision, DynamicLossScaler? scaler, int steps)
    {
        var m = new LlamaTrainModel(Cfg, new TrainModelOptions(Precision: precision));
        m.InitializeWeights(4);
        var t = new Trainer(m, new AdamW(m.Layout, weightDecay: 0f), new ConstantSchedule(3e-3f), lossScaler: scaler);
        var batches = Batches();
        return Enumerable.Range(0, steps).Select(i => t.Step([batches[i % batches.Count]]).Loss).ToArray();
    }

    [Fact]
    public void Bf16LossTracksFp32()
    {
        var f32 = Train(MatMulPrecision.F32, null, 30);
        var bf16 = Train(MatMulPrecision.BF16, null, 30);
        Assert.True(f32[^1] < f32[0] - 1, $"fp32 did not learn: {f32[0]:F3} → {f32[^1]:F3}");
        Assert.NotEqual(f32, bf16); // operands really are rounded
        for (int i = 0; i < f32.Length; i++)
            Assert.True(Math.Abs(bf16[i] - f32[i]) <= 0.03 * f32[i], $"step {i}: bf16 {bf16[i]:F4} vs fp32 {f32[i]:F4}");
    }

    [Fact]
    public void Fp16WithLossScalingTracksFp32()
    {
        var f32 = Train(MatMulPrecision.F32, null, 30);
        var scaler = new DynamicLossScaler(65536f, growthInterval: 10);
        var f16 = Train(MatMulPrecision.F16, scaler, 30);
        Assert.Equal(0, scaler.SkippedSteps);
        for (int i = 0; i < f32.Length; i++)
            Assert.True(Math.Abs(f16[i] - f32[i]) <= 0.01 * f32[i], $"step {i}: fp16 {f16[i]:F4} vs fp32 {f32[i]:F4}");
    }

    [Fact]
    public void Fp16OverflowAtAHugeScaleIsSkippedAndBacksOff()
    {
        // 2^40 pushes the scaled logit gradients far past FP16's 65504: the first steps overflow and are skipped
        // until the scale has halved enough.
        var scaler = new DynamicLossScaler(MathF.Pow(2, 40), growthInterval: 1000);
        var losses = Train(MatMulPrecision.F16, scaler, 30);
        Assert.True(scaler.SkippedSteps >= 1, "no step overflowed");
        Assert.Equal(MathF.Pow(2, 40) * MathF.Pow(0.5f, scaler.SkippedSteps), scaler.Scale);
        Assert.True(losses[^1] < losses[0] - 0.5, $"training did not recover: {losses[0]:F3} → {losses[^1]:F3}");
    }

    [Fact]
    public void ScalerBacksOffOnOverflowAndGrowsAfterTheWindow()
    {
        var s = new DynamicLossScaler(1024f, growthFactor: 2f, backoffFactor: 0.5f, growthInterval: 3);
        s.Update(true); s.Update(true);
        Assert.Equal(1024f, s.Scale);
        s.Update(true);
        Assert.Equal(2048f, s.Scale);
        s.Update(true); s.Update(true);
        s.Update(false); // overflow resets the run of good steps
        Assert.Equal(1024f, s.Scale);
        Assert.Equal(0, s.GoodSteps);
        s.Update(true); s.Update(true);
        Assert.Equal(1024f, s.Scale);
        s.Update(true);
        Assert.Equal(2048f, s.Scale);
        Assert.Equal(1, s.SkippedSteps);
        var g = new[] { 2048f, -1024f, float.PositiveInfinity };
        Assert.False(s.Unscale(g));
        Assert.Equal(1f, g[0]);
        Assert.True(s.Unscale(new[] { 1f, float.MaxValue, float.MaxValue })); // huge but finite: sum overflows, elements do not
        Assert.Throws<ArgumentException>(() => new DynamicLossScaler(0f));
    }

    /// <summary>Language-model loss that poisons one gradient with +Inf on chosen calls.</summary>
    private sealed class InjectInf(params int[] poisonedCalls) : ITrainObjective
    {
        private readonly LanguageModelObjective _inner = new("pt");
        private int _calls;
        public string Name => "pt";
        public int Units(TrainBatch batch) => _inner.Units(batch);
        public double Run(LlamaTrainModel model, TrainBatch batch, float? backwardWeight)
        {
            double loss = _inner.Run(model, batch, backwardWeight);
            if (backwardWeight is not null && poisonedCalls.Contains(_calls++)) model.TrainableGradients[7] = float.PositiveInfinity;
            return loss;
        }
    }

    [Fact]
    public void TrainerSkipsTheInjectedInfStepAndOtherwiseMatchesUnscaledTraining()
    {
        var batches = Batches();
        LlamaTrainModel Model() { var m = new LlamaTrainModel(Cfg); m.InitializeWeights(2); return m; }
        var plain = Model();
        var scaled = Model();
        var tPlain = new Trainer(plain, new AdamW(plain.Layout), new ConstantSchedule(1e-3f));
        var scaler = new DynamicLossScaler(1024f, growthInterval: 2);
        var tScaled = new Trainer(scaled, new AdamW(scaled.Layout), new ConstantSchedule(1e-3f), objective: new InjectInf(1), lossScaler: scaler);

        tPlain.Step([batches[0]]);
        Assert.False(tScaled.Step([batches[0]]).Skipped);
        // A power-of-two loss scale is exact, so after unscaling the update is the unscaled one.
        for (int i = 0; i < plain.Parameters.Length; i++) Assert.Equal(plain.Parameters[i], scaled.Parameters[i], 1e-6f);
        Assert.Equal(1024f, scaler.Scale);

        var before = (float[])scaled.Parameters.Clone();
        var r = tScaled.Step([batches[1]]); // the poisoned step
        Assert.True(r.Skipped);
        Assert.Equal(before, scaled.Parameters);
        Assert.Equal(1, tScaled.Optimizer.StepCount);
        Assert.Equal(512f, scaler.Scale);

        tPlain.Step([batches[1]]);
        Assert.False(tScaled.Step([batches[1]]).Skipped);
        for (int i = 0; i < plain.Parameters.Length; i++) Assert.Equal(plain.Parameters[i], scaled.Parameters[i], 1e-6f);
        Assert.False(tScaled.Step([batches[2]]).Skipped);
        Assert.Equal(1024f, scaler.Scale); // two good steps in a row: grown back
    }
}
