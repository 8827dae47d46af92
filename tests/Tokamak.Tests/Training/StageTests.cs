using Tokamak.Training;
using Tokamak.Training.Lora;
using Tokamak.Training.Objectives;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class StageTests
{
    private static readonly PreferencePair[] Pairs =
    [
        new([1, 5, 9], [2, 30, 7], [7, 3]),
        new([4, 4, 18, 21], [0, 11], [12, 13, 14, 6]),
    ];

    private static LlamaTrainModel Full(ulong seed, bool valueHead = false)
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(), new TrainModelOptions(ValueHead: valueHead));
        m.InitializeWeights(seed, 0.3f);
        return m;
    }

    private static void CheckAllTrainable(LlamaTrainModel m, Func<double> loss, Action backward, int checks = 5)
    {
        m.ZeroGradients();
        backward();
        var grads = (float[])m.TrainableGradients.Clone();
        foreach (var t in m.TrainableLayout.Tensors)
        {
            if (t.Name == "v_head.summary.bias")
            {
                // The bias shifts both rewards of a pair equally, so the ranking loss cannot depend on it.
                Assert.Equal(0f, t.Of(grads)[0], 6);
                continue;
            }
            var slice = t.Of(m.TrainableParameters).ToArray();
            double G()
            {
                slice.CopyTo(t.Of(m.TrainableParameters));
                return loss();
            }
            GradCheck.Check(t.Name, slice, t.Of(grads).ToArray(), G, h: 1e-2f, maxChecks: checks);
            slice.CopyTo(t.Of(m.TrainableParameters));
        }
    }

    [Fact]
    public void RewardLossGradientMatchesFiniteDifferences()
    {
        var m = Full(3, valueHead: true);
        var rm = new RewardObjective();
        var batch = PreferenceBatch.ForRewards(Pairs);
        CheckAllTrainable(m, () => rm.Run(m, batch, null), () => rm.Run(m, batch, 1f));
    }

    [Fact]
    public void LoraRewardModelTrainsAdaptersAndHead()
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(), new TrainModelOptions(Lora: LoraSettings.Create(2, 4, 0, "q_proj,v_proj,down_proj"), ValueHead: true));
        m.InitializeWeights(4, 0.3f);
        foreach (var t in m.TrainableLayout.Tensors.Where(t => t.Name.EndsWith("lora_B.weight")))
            GradCheck.Random((int)t.Length, (int)t.Offset + 1, 0.3f).CopyTo(t.Of(m.TrainableParameters));
        Assert.Contains(m.TrainableLayout.Tensors, t => t.Name == "v_head.summary.weight");
        var rm = new RewardObjective();
        var batch = PreferenceBatch.ForRewards(Pairs);
        CheckAllTrainable(m, () => rm.Run(m, batch, null), () => rm.Run(m, batch, 1f));
    }

    [Fact]
    public void DpoLossGradientMatchesFiniteDifferences()
    {
        var policy = Full(5);
        var reference = Full(6);
        var dpo = new DpoObjective(0.5f, reference);
        var batch = PreferenceBatch.ForLogProbs(Pairs);
        CheckAllTrainable(policy, () => dpo.Run(policy, batch, null), () => dpo.Run(policy, batch, 1f));
    }

    [Fact]
    public void LoraDpoUsesTheBaseAsReference()
    {
        var m = LoraTests.Model("all");
        var dpo = new DpoObjective(1f);
        var batch = PreferenceBatch.ForLogProbs(Pairs);
        CheckAllTrainable(m, () => dpo.Run(m, batch, null), () => dpo.Run(m, batch, 1f), checks: 3);
        // With B = 0 the policy is its reference: zero margins, loss ln 2.
        foreach (var t in m.TrainableLayout.Tensors.Where(t => t.Name.EndsWith("lora_B.weight"))) t.Of(m.TrainableParameters).Clear();
        Assert.All(dpo.Margins(m, batch), x => Assert.Equal(0, x, 9));
        Assert.Equal(Math.Log(2), dpo.Run(m, batch, null), 5);
    }

    // Prompts are random low tokens; preferred answers use tokens 20–25, dispreferred ones 26–31.
    private static List<PreferencePair> SyntheticPairs(int n, int seed)
    {
        var r = new Random(seed);
        int[] Seq(int lo, int hi, int len) => Enumerable.Range(0, len).Select(_ => r.Next(lo, hi)).ToArray();
        return Enumerable.Range(0, n).Select(_ => new PreferencePair(Seq(1, 16, 2 + r.Next(3)), Seq(20, 26, 2 + r.Next(3)), Seq(26, 32, 2 + r.Next(3)))).ToList();
    }

    [Fact]
    public void DpoRaisesTheMarginOnHeldOutPairs()
    {
        var policy = Full(8);
        var reference = Full(8);
        var dpo = new DpoObjective(0.5f, reference);
        var train = SyntheticPairs(24, 1);
        var heldOut = PreferenceBatch.ForLogProbs(SyntheticPairs(12, 2));
        double before = dpo.Margins(policy, heldOut).Average();
        Assert.Equal(0, before, 6); // policy starts as its reference
        var trainer = new Trainer(policy, new AdamW(policy.TrainableLayout, weightDecay: 0f), new ConstantSchedule(3e-3f), objective: dpo);
        for (int step = 0; step < 20; step++)
            trainer.Step([PreferenceBatch.ForLogProbs(train.Skip(step % 3 * 8).Take(8).ToList())]);
        var after = dpo.Margins(policy, heldOut);
        Assert.True(after.Average() > 1.0, $"held-out margin only reached {after.Average():F3}");
        Assert.True(after.Count(m => m > 0) >= 11, $"only {after.Count(m => m > 0)} of 12 held-out pairs prefer the chosen side");
    }

    [Fact]
    public void RewardModelRanksHeldOutPairs()
    {
        var m = Full(9, valueHead: true);
        var rm = new RewardObjective();
        var train = SyntheticPairs(24, 3);
        var heldOut = PreferenceBatch.ForRewards(SyntheticPairs(12, 4));
        var trainer = new Trainer(m, new AdamW(m.TrainableLayout, weightDecay: 0f), new ConstantSchedule(3e-3f), objective: rm);
        for (int step = 0; step < 20; step++)
            trainer.Step([PreferenceBatch.ForRewards(train.Skip(step % 3 * 8).Take(8).ToList())]);
        var r = RewardObjective.Rewards(m, heldOut);
        int right = Enumerable.Range(0, 12).Count(i => r[2 * i] > r[2 * i + 1]);
        Assert.True(right >= 11, $"reward model ranks only {right} of 12 held-out pairs correctly");
    }

    [Fact]
    public void NonFiniteLossStopsBeforeTheUpdateAndNamesTheStep()
    {
        var m = Full(10);
        var trainer = new Trainer(m, new AdamW(m.Layout), new ConstantSchedule(1e-3f));
        var batch = TrainBatch.Pack([[1, 2, 3, 4, 5]]);
        trainer.Step([batch]);
        trainer.Step([batch]);
        m.Layout["model.norm.weight"].Of(m.Parameters)[0] = float.NaN;
        var snapshot = (float[])m.Parameters.Clone();
        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Step([batch]));
        Assert.Equal(2, e.Step);
        Assert.Contains("step 3", e.Message);
        Assert.Equal(snapshot, m.Parameters);
        Assert.Equal(2, trainer.Optimizer.StepCount);
    }
}
