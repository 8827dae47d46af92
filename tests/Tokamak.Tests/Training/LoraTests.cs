using Tokamak.Training;
using Tokamak.Training.Export;
using Tokamak.Training.Lora;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class LoraTests
{
    private static readonly int[] SeqA = [1, 5, 9, 2, 30, 7, 7, 3];
    private static readonly int[] SeqB = [4, 4, 18, 21, 0, 11];

    internal static LlamaTrainModel Model(string targets = "all", float dropout = 0f, bool recompute = false, bool qkvBias = false)
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(tied: true, qkvBias: qkvBias),
            new TrainModelOptions(recompute, LoraSettings.Create(2, 4f, dropout, targets)));
        m.InitializeWeights(123, 0.3f);
        // B starts at zero; give it values so A's gradients and the adapter's effect are non-trivial.
        foreach (var t in m.TrainableLayout.Tensors.Where(t => t.Name.EndsWith("lora_B.weight")))
            GradCheck.Random((int)t.Length, (int)t.Offset + 1, 0.3f).CopyTo(t.Of(m.TrainableParameters));
        return m;
    }

    [Theory]
    [InlineData("all", 0f)]
    [InlineData("q_proj,v_proj", 0.2f)]
    public void AdapterGradientsMatchFiniteDifferences(string targets, float dropout)
    {
        var m = Model(targets, dropout, qkvBias: true);
        m.DropoutSeed = 77; // the masks are a function of the seed, so the loss is a deterministic function
        var batch = TrainBatch.Pack([SeqA, SeqB], [3, 0]);
        m.ZeroGradients();
        m.Forward(batch);
        m.Backward();
        Assert.Empty(m.Gradients); // the base has no gradient storage at all
        var grads = (float[])m.TrainableGradients.Clone();
        foreach (var t in m.TrainableLayout.Tensors)
        {
            var slice = t.Of(m.TrainableParameters).ToArray();
            double G()
            {
                slice.CopyTo(t.Of(m.TrainableParameters));
                return m.Forward(batch);
            }
            GradCheck.Check(t.Name, slice, t.Of(grads).ToArray(), G, h: 1e-2f, maxChecks: 6);
            slice.CopyTo(t.Of(m.TrainableParameters));
        }
    }

    [Fact]
    public void RecomputationGivesIdenticalAdapterGradients()
    {
        var batch = TrainBatch.Pack([SeqA, SeqB, SeqA]);
        var full = Model(dropout: 0.1f);
        var re = Model(dropout: 0.1f, recompute: true);
        full.DropoutSeed = re.DropoutSeed = 5;
        full.ZeroGradients(); full.Forward(batch); full.Backward();
        re.ZeroGradients(); re.Forward(batch); re.Backward();
        Assert.Equal(full.TrainableGradients, re.TrainableGradients);
    }

    [Fact]
    public void TrainingMovesOnlyTheAdapters()
    {
        var m = Model("q_proj,v_proj");
        var baseBefore = (float[])m.Parameters.Clone();
        var adaptersBefore = (float[])m.TrainableParameters.Clone();
        var trainer = new Trainer(m, new AdamW(m.TrainableLayout, weightDecay: 0f), new ConstantSchedule(1e-2f));
        var batch = TrainBatch.Pack([SeqA, SeqB]);
        double first = trainer.Step([batch]).Loss, last = first;
        for (int i = 0; i < 30; i++) last = trainer.Step([batch]).Loss;
        Assert.Equal(baseBefore, m.Parameters);
        Assert.NotEqual(adaptersBefore, m.TrainableParameters);
        Assert.True(last < first - 0.1, $"loss {first} → {last}");
    }

    [Fact]
    public void FreshAdaptersLeaveTheBaseModelUnchanged()
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(), new TrainModelOptions(Lora: LoraSettings.Create(4, 8f, 0f, "all")));
        m.InitializeWeights(9, 0.3f);
        var with = ExportTests.TrainingLogits(m, SeqA);
        m.AdaptersEnabled = false;
        Assert.Equal(with, ExportTests.TrainingLogits(m, SeqA));
    }

    [Fact]
    public void MergedModelLogitsEqualBasePlusAdapter()
    {
        var m = Model(dropout: 0.3f); // dropout is off in evaluation, so merging is exact
        var adapted = ExportTests.TrainingLogits(m, SeqA);
        m.AdaptersEnabled = false;
        var baseOnly = ExportTests.TrainingLogits(m, SeqA);
        m.AdaptersEnabled = true;
        var merged = LoraMerge.Merge(m);
        Assert.Null(merged.Lora);
        ExportTests.AssertClose(adapted, ExportTests.TrainingLogits(merged, SeqA), 1e-4);
        Assert.True(adapted.Zip(baseOnly).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the adapter must change the logits for this test to have power");

        // The merged export is what the inference engine sees.
        var dir = Directory.CreateTempSubdirectory("tokamak-lora");
        try
        {
            HfModelExporter.Export(m, dir.FullName);
            ExportTests.AssertClose(adapted, ExportTests.InferenceLogits(dir.FullName, SeqA), 1e-4);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void PeftAdapterRoundTrips()
    {
        var m = Model("q_proj,k_proj,down_proj");
        var dir = Directory.CreateTempSubdirectory("tokamak-peft");
        try
        {
            PeftAdapter.Save(m, dir.FullName, "base");
            var settings = PeftAdapter.ReadSettings(dir.FullName);
            Assert.Equal(m.Lora!.Targets, settings.Targets);
            Assert.Equal(m.Lora.Rank, settings.Rank);
            var copy = new LlamaTrainModel(m.Config, new TrainModelOptions(Lora: settings));
            m.Parameters.CopyTo(copy.Parameters, 0);
            PeftAdapter.Load(dir.FullName, copy);
            Assert.Equal(m.TrainableParameters, copy.TrainableParameters);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void BadTargetsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LoraSettings.Create(8, 16, 0, "q_proj,qkv"));
        Assert.Contains("qkv", e.Message);
        Assert.Throws<ArgumentException>(() => LoraSettings.Create(0, 16, 0, "all"));
    }
}
