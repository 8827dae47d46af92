using Tokamak.Training;
using Tokamak.Training.Layers;
using Xunit.Abstractions;

namespace Tokamak.Tests.Training;

public class LlamaTrainModelTests(ITestOutputHelper output)
{
    private static readonly int[] SeqA = [1, 5, 9, 2, 30, 7, 7, 3];
    private static readonly int[] SeqB = [4, 4, 18, 21, 0, 11];

    private static LlamaTrainModel Model(bool tied = true, bool qkvBias = false, bool recompute = false, float std = 0.3f)
    {
        var m = new LlamaTrainModel(TinyConfigs.Llama(tied, qkvBias), recompute);
        m.InitializeWeights(123, std);
        if (qkvBias) // biases start at zero; give them values so their gradients are exercised through everything
            foreach (var t in m.Layout.Tensors.Where(t => t.Name.EndsWith(".bias")))
                GradCheck.Random((int)t.Length, (int)t.Offset, 0.3f).CopyTo(t.Of(m.Parameters));
        return m;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void FullModelGradientMatchesFiniteDifferences(bool tied, bool qkvBias)
    {
        var m = Model(tied, qkvBias);
        var batch = TrainBatch.Pack([SeqA, SeqB], [3, 0]);
        m.ZeroGradients();
        m.Forward(batch);
        m.Backward();
        var grads = (float[])m.Gradients.Clone();
        double F() => m.Forward(batch);
        foreach (var t in m.Layout.Tensors)
        {
            // Check a handful of entries of every tensor against the full-model loss.
            var p = m.Parameters;
            var analytic = t.Of(grads).ToArray();
            var slice = t.Of(p).ToArray();
            double G()
            {
                slice.CopyTo(t.Of(p));
                return F();
            }
            GradCheck.Check(t.Name, slice, analytic, G, h: 1e-2f, maxChecks: 6);
            slice.CopyTo(t.Of(p));
        }
    }

    [Fact]
    public void RecomputationGivesIdenticalGradientsWithLessMemory()
    {
        var batch = TrainBatch.Pack([SeqA, SeqB, SeqA]);
        var full = Model();
        var re = Model(recompute: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        full.ZeroGradients(); float lf = full.Forward(batch); full.Backward();
        long fullAlloc = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        re.ZeroGradients(); float lr = re.Forward(batch); re.Backward();
        long reAlloc = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(lf, lr);
        Assert.Equal(full.Gradients, re.Gradients); // bitwise: same kernels on the same inputs
        output.WriteLine($"activation bytes: full {full.ActivationBytes}, recompute {re.ActivationBytes}; allocated in first step: {fullAlloc} vs {reAlloc}");
        Assert.True(re.ActivationBytes < full.ActivationBytes);
    }

    [Fact]
    public void PackedLossEqualsSumOfSeparateLosses()
    {
        var m = Model();
        float la = m.Forward(TrainBatch.FromSequence(SeqA)); int na = m.CountedTokens;
        float lb = m.Forward(TrainBatch.FromSequence(SeqB)); int nb = m.CountedTokens;
        float packed = m.Forward(TrainBatch.Pack([SeqA, SeqB]));
        Assert.Equal(na + nb, m.CountedTokens);
        Assert.Equal((double)la * na + (double)lb * nb, (double)packed * (na + nb), 4);
        // Without boundaries the second sequence would see the first, and the loss would differ.
        var unpacked = new TrainBatch([.. SeqA[..^1], .. SeqB[..^1]], [.. SeqA[1..], .. SeqB[1..]], PackedSequences.Single(na + nb));
        Assert.NotEqual(packed, m.Forward(unpacked), 4);
    }

    [Fact]
    public void IgnoreIndexMasksPromptTokens()
    {
        var m = Model();
        m.Forward(TrainBatch.FromSequence(SeqA));
        float[] perToken = m.TokenLosses.ToArray();
        const int prompt = 4; // targets 0..2 predict prompt tokens 1..3 and are masked
        float masked = m.Forward(TrainBatch.FromSequence(SeqA, prompt));
        Assert.Equal(SeqA.Length - prompt, m.CountedTokens);
        double expect = perToken.Skip(prompt - 1).Average(x => (double)x);
        Assert.Equal(expect, masked, 5);
        // A masked target's value does not matter.
        var b = TrainBatch.FromSequence(SeqA, prompt);
        b.Targets[0] = CrossEntropy.IgnoreIndex;
        Assert.Equal(masked, m.Forward(b));
    }

    [Fact]
    public void MaxPositionsAndVocabularyAreEnforced()
    {
        var m = Model();
        Assert.Throws<ArgumentException>(() => m.Forward(TrainBatch.FromSequence([1, 99, 3])));
        var longSeq = Enumerable.Range(0, 70).Select(i => i % 32).ToArray();
        Assert.Throws<ArgumentException>(() => m.Forward(TrainBatch.FromSequence(longSeq)));
    }
}
