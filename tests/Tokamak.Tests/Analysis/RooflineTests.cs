using System.Xml.Linq;
using Tokamak.Analysis;
using Tokamak.Analysis.Roofline;
using Tokamak.Models;
using Tokamak.Tensors;

namespace Tokamak.Tests.Analysis;

/// <summary>Analytic op costs against hand-derived numbers, the roofline function, and the drawn figure.</summary>
public class RooflineTests
{
    // hidden 8, MLP 16, one layer, 2 query heads sharing 1 KV head of width 4, vocab 10.
    private static readonly ModelConfig Tiny = new()
    {
        HiddenSize = 8, IntermediateSize = 16, Layers = 1, Heads = 2, KvHeads = 1, HeadDim = 4, VocabSize = 10,
    };

    [Fact]
    public void DecodeCostsMatchHandDerivedCounts()
    {
        var c = OpCostModel.Step(Tiny, WeightTypes.Uniform(DType.F32), Workload.Decode(1, 3));
        // Q: 8x8, K and V: 4x8 weights → 2·(64+32+32) FLOPs; bytes = 4·(64+32+32) weights + 4·((8+8) + 2·(4+8)) activations.
        Assert.Equal(256, c[(int)OpKind.QkvProjection].Flops);
        Assert.Equal(512 + 64 + 96, c[(int)OpKind.QkvProjection].Bytes);
        // The new token sees 3 cached + itself = 4 keys: 4 keys · 4 FLOPs · qDim 8; 8 bytes per key per kv lane + q in/out.
        Assert.Equal(128, c[(int)OpKind.Attention].Flops);
        Assert.Equal(8 * 4 * 4 + 8 * 8, c[(int)OpKind.Attention].Bytes);
        Assert.Equal(512, c[(int)OpKind.GateUp].Flops);
        Assert.Equal(2 * (16 * 8 * 4 + 4 * 24), c[(int)OpKind.GateUp].Bytes);
        Assert.Equal(256, c[(int)OpKind.Down].Flops);
        Assert.Equal(512 + 96, c[(int)OpKind.Down].Bytes);
        Assert.Equal(160, c[(int)OpKind.Logits].Flops);
        Assert.Equal(320 + 4 * 18, c[(int)OpKind.Logits].Bytes);
        // Two norms per layer + the final one over one row: 4 FLOPs and 8 bytes per element.
        Assert.Equal(3 * 4 * 8, c[(int)OpKind.RmsNorm].Flops);
        Assert.Equal(3 * 8 * 8, c[(int)OpKind.RmsNorm].Bytes);
        Assert.Equal(0, c[(int)OpKind.Embedding].Flops);
        Assert.All(c, x => Assert.False(x.IntegerMath));
    }

    [Fact]
    public void QuantizedDecodeCountsBlocksAndUsesIntegerMath()
    {
        var c = OpCostModel.Step(Tiny, (WeightTypes.Uniform(DType.Q8_0) with { Embedding = DType.F32, Output = DType.F32 }), Workload.Decode(1, 0));
        // 64 + 32 + 32 weights = 4 Q8_0 blocks of 34 bytes.
        Assert.Equal(4 * 34 + 64 + 96, c[(int)OpKind.QkvProjection].Bytes);
        Assert.True(c[(int)OpKind.QkvProjection].IntegerMath);
        var prefill = OpCostModel.Step(Tiny, (WeightTypes.Uniform(DType.Q8_0) with { Embedding = DType.F32, Output = DType.F32 }), Workload.Prefill(1, 4));
        Assert.False(prefill[(int)OpKind.QkvProjection].IntegerMath); // n > 1 runs the float kernels
    }

    [Fact]
    public void PrefillAttentionIsCausal()
    {
        var c = OpCostModel.Step(Tiny, WeightTypes.Uniform(DType.F32), Workload.Prefill(2, 3));
        // Each of 2 prompts: tokens see 1, 2, 3 keys = 6; 12 in all.
        Assert.Equal(4 * 12 * 8, c[(int)OpKind.Attention].Flops);
        Assert.Equal(2 * 6 * 16 * 8, c[(int)OpKind.QkvProjection].Flops);
        // Logits only for each prompt's last token.
        Assert.Equal(2 * 2 * 10 * 8, c[(int)OpKind.Logits].Flops);
    }

    [Fact]
    public void CostsAgreeWithTheProfilersChargesOnARealModel()
    {
        // The profiler's charges inside LlamaModel.Forward are a separate accounting of the same work.
        using var m = ModelLoader.Load(TestPaths.Model("stories260k/stories260K.gguf"));
        var w = Workload.Decode(4, 5);
        var costs = OpCostModel.Step(m.Config, WeightTypes.Of(m.Model.Weights), w);
        var prof = new OpProfiler();
        using var s = m.Model.CreateState(16, 8);
        m.Model.Forward(s, [1, 2, 3, 4, 5]);
        m.Model.Profiler = prof;
        m.Model.Forward(s, [6, 7, 8, 9], new float[4 * m.Config.VocabSize]);
        foreach (var c in costs)
        {
            Assert.Equal(prof.Flops(c.Op), c.Flops, 6);
            Assert.Equal(prof.Bytes(c.Op), c.Bytes, 6);
        }
    }

    [Theory]
    [InlineData(100, 10, 2, 20)]     // memory-bound: bandwidth × intensity
    [InlineData(100, 10, 10, 100)]   // exactly at the ridge
    [InlineData(100, 10, 50, 100)]   // compute-bound: the peak
    [InlineData(500, 40, 0.25, 10)]
    public void AttainableIsMinOfPeakAndBandwidthTimesIntensity(double peak, double bw, double ai, double expected) =>
        Assert.Equal(expected, MachinePeaks.Attainable(peak, bw, ai), 9);

    [Fact]
    public void PredictedTimeIsTheSlowerOfComputeAndMemory()
    {
        var peaks = new MachinePeaks(BandwidthGBs: 10, Fp32GFlops: 100, Int8GOps: 400, Threads: 1);
        Assert.Equal(10.0 / 100, new OpCost(OpKind.Down, 1e9, 1e9, false).PredictedSeconds(peaks), 12); // 0.1 s of bytes
        Assert.Equal(1.0, new OpCost(OpKind.Down, 100e9, 1e9, false).PredictedSeconds(peaks), 12);                           // 1 s of FLOPs
        Assert.Equal(0.25, new OpCost(OpKind.Down, 100e9, 1e9, true).PredictedSeconds(peaks), 12);                           // int8 peak
        Assert.Equal(10, peaks.RidgePoint, 12);
    }

    [Fact]
    public void SvgIsWellFormedWithOneMarkerPerOp()
    {
        var peaks = new MachinePeaks(40, 500, 1000, 2);
        var points = new List<RooflinePoint>
        {
            new("decode b1", OpKind.QkvProjection, 0.5, 15, 20, 1e-3),
            new("decode b1", OpKind.Down, 0.5, 18, 20, 1e-3),
            new("decode b1", OpKind.Attention, 1.2, 3, 48, 1e-3),
            new("prefill 1x64", OpKind.GateUp, 30, 200, 500, 1e-3),
            new("prefill 1x64", OpKind.Logits, 25, 150, 500, 1e-3),
        };
        string dir = Path.Combine(Path.GetTempPath(), "tokamak-roofline-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (png, svg) = RooflinePlot.Save(peaks, points, "test", dir, 600, 400);
            var doc = XDocument.Load(svg);
            Assert.Equal("svg", doc.Root!.Name.LocalName);
            Assert.Equal(points.Count, doc.Descendants().Count(e => e.Name.LocalName == "ellipse"));
            var header = File.ReadAllBytes(png).Take(8).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
