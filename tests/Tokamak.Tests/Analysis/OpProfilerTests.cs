using Tokamak.Analysis;
using Tokamak.Models;
using Tokamak.Models.Architectures;

namespace Tokamak.Tests.Analysis;

public class OpProfilerTests
{
    [Fact]
    public void MatMulFlopsEqualTwicePerTokenParameterCount()
    {
        using var w = WeightsLoader.Load(TestPaths.Model("tinystories-656k"));
        var m = new LlamaModel(w.Config, w.Weights) { Profiler = new OpProfiler() };
        using var s = m.CreateState(64);
        m.Forward(s, [1, 5, 9, 300, 42]);
        var c = w.Config;
        // Independent count from the config: per layer q,k,v,o and gate,up,down, for 5 tokens; logits for 1 token.
        double perTokenLayer = 2.0 * c.Layers * (c.HiddenSize * (c.QDim + 2.0 * c.KvDim) + c.QDim * c.HiddenSize + 3.0 * c.HiddenSize * c.IntermediateSize);
        var p = m.Profiler;
        double layerFlops = p.Flops(OpKind.QkvProjection) + p.Flops(OpKind.OutputProjection) + p.Flops(OpKind.GateUp) + p.Flops(OpKind.Down);
        Assert.Equal(5 * perTokenLayer, layerFlops, 1e-6 * layerFlops);
        Assert.Equal(2.0 * c.VocabSize * c.HiddenSize, p.Flops(OpKind.Logits));
        Assert.Equal(5, p.Tokens);
        Assert.All(new[] { OpKind.QkvProjection, OpKind.Attention, OpKind.GateUp, OpKind.Down, OpKind.Logits }, op => Assert.True(p.Seconds(op) > 0, op.ToString()));
        Assert.Contains("GateUp", p.Report("t"));
    }
}
