using Tokamak.Training;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class TrainingLoopTests
{
    private static readonly int[] SeqA = [1, 5, 9, 2, 30, 7, 7, 3];
    private static readonly int[] SeqB = [4, 4, 18, 21, 0, 11];

    [Fact]
    public void TwoMicroBatchesEqualOnePackedBatch()
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama());
        m.InitializeWeights(5, 0.3f);
        var trainer = new Trainer(m, new AdamW(m.Layout), new ConstantSchedule(1e-3f));
        // Uneven counts (7 vs 3 after a prompt mask) so that plain averaging would be wrong.
        var a = TrainBatch.Pack([SeqA]);
        var b = TrainBatch.Pack([SeqB], [3]);
        var (lossMicro, nMicro) = trainer.AccumulateGradients([a, b]);
        var micro = (float[])m.Gradients.Clone();
        var (lossOne, nOne) = trainer.AccumulateGradients([TrainBatch.Pack([SeqA, SeqB], [0, 3])]);
        Assert.Equal(nOne, nMicro);
        Assert.Equal(lossOne, lossMicro, 5);
        double maxAbs = micro.Max(Math.Abs);
        for (int i = 0; i < micro.Length; i++) Assert.True(Math.Abs(micro[i] - m.Gradients[i]) <= 1e-5 * maxAbs, $"grad[{i}] {micro[i]} vs {m.Gradients[i]}");

        // Uniform averaging differs for uneven micro-batches: the test above has power.
        var uniform = new Trainer(m, new AdamW(m.Layout), new ConstantSchedule(1e-3f), accumulation: GradientAccumulation.MeanOfMicroBatches);
        uniform.AccumulateGradients([a, b]);
        Assert.NotEqual(micro, m.Gradients);
    }

    [Fact]
    public void TinyModelMemorizesASequence()
    {
        var cfg = TinyConfigs.Llama() with { HiddenSize = 32, IntermediateSize = 64, Heads = 4, KvHeads = 2, HeadDim = 8 };
        var m = new LlamaTrainModel(cfg);
        m.InitializeWeights(1);
        int[] seq = [3, 17, 8, 25, 1, 1, 30, 12, 6, 19, 22, 4, 9, 14, 27, 2];
        var batch = TrainBatch.FromSequence(seq);
        var trainer = new Trainer(m, new AdamW(m.Layout, weightDecay: 0f), new CosineSchedule(1e-2f, 300, 10, 1e-3f));
        double first = trainer.Step([batch]).Loss, last = first;
        for (int i = 1; i < 300 && last > 0.05; i++) last = trainer.Step([batch]).Loss;
        Assert.InRange(first, 3.0, 4.0); // ≈ ln 32 at initialization
        Assert.True(last < 0.05, $"loss only fell from {first} to {last}");
    }

    [Fact]
    public void ResumeFromCheckpointIsBitwiseExact()
    {
        const int total = 12, split = 5;
        var dir = Directory.CreateTempSubdirectory("tokamak-train");
        try
        {
            var straight = Run(null, 0, total, null);
            string ckpt = Path.Combine(dir.FullName, "step5.safetensors");
            var firstPart = Run(null, 0, split, ckpt);
            var resumed = Run(ckpt, split, total, null);
            Assert.Equal(straight[..split], firstPart);
            Assert.Equal(straight[split..], resumed);
        }
        finally { dir.Delete(recursive: true); }
    }

    // Trains steps [from, to) with random batches drawn from an RNG; optionally resumes from / saves to a checkpoint.
    private static double[] Run(string? resumeFrom, int from, int to, string? saveTo)
    {
        var cfg = resumeFrom is null ? TinyConfigs.Llama(tied: false, qkvBias: true) : TrainCheckpoint.ReadConfig(resumeFrom);
        var m = new LlamaTrainModel(cfg);
        var opt = new AdamW(m.Layout, weightDecay: 0.1f);
        var rng = new TrainRng(99);
        if (resumeFrom is null) m.InitializeWeights(7);
        else TrainCheckpoint.Load(resumeFrom, m, opt, rng);
        var trainer = new Trainer(m, opt, new CosineSchedule(3e-3f, 20, 3, 1e-4f), maxGradNorm: 0.5);
        Assert.Equal(from, opt.StepCount);
        var losses = new List<double>();
        for (int s = from; s < to; s++)
        {
            var seqs = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 4 + rng.NextInt(5)).Select(_ => rng.NextInt(32)).ToArray()).ToList();
            losses.Add(trainer.Step([TrainBatch.Pack(seqs)]).Loss);
        }
        if (saveTo != null) TrainCheckpoint.Save(saveTo, m, opt, rng);
        return losses.ToArray();
    }
}
