using BenchmarkDotNet.Attributes;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Bench;

/// <summary>
/// MatMul.Forward on Qwen2.5-0.5B MLP shapes. Each invocation uses the next of several copies of the weight (≥ 192 MB
/// in all, beyond the 32 MB L3) so that, like in a real decode step, the weights stream from DRAM.
/// </summary>
public abstract unsafe class MatMulBenchBase : IThroughputBenchmark
{
    private const long ColdBytes = 192L << 20;

    private readonly List<NativeBuffer> _buffers = [];
    private Tensor[] _copies = [];
    private float[] _x = [], _y = [];
    private int _next;

    /// <summary>Weight dtype; each benchmark class lists the ones it runs.</summary>
    public abstract DType DType { get; set; }

    /// <summary>Weight shape [out, in]: the MLP up/gate projection and the down projection.</summary>
    [Params("4864x896", "896x4864")]
    public string Shape { get; set; } = "4864x896";

    protected abstract int N { get; }

    private (int Out, int In) Dims => (int.Parse(Shape.Split('x')[0]), int.Parse(Shape.Split('x')[1]));

    public double BytesPerInvocation => DTypes.ByteCount(DType, (long)Dims.Out * Dims.In);

    public double FlopsPerInvocation => 2.0 * N * Dims.Out * Dims.In;

    [GlobalSetup]
    public void Setup()
    {
        var (outDim, inDim) = Dims;
        var rng = new Random(1);
        var row = new float[inDim];
        long rowBytes = DTypes.ByteCount(DType, inDim);
        int copies = (int)Math.Max(1, (ColdBytes + rowBytes * outDim - 1) / (rowBytes * outDim));
        _copies = new Tensor[copies];
        for (int c = 0; c < copies; c++)
        {
            var buf = new NativeBuffer(rowBytes * outDim);
            _buffers.Add(buf);
            for (int r = 0; r < outDim; r++)
            {
                for (int i = 0; i < inDim; i++) row[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
                Quantize.Row(DType, row, buf.Pointer + r * rowBytes);
            }
            _copies[c] = new Tensor("w", DType, [outDim, inDim], buf.Pointer);
        }
        _x = new float[N * inDim];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)(rng.NextDouble() * 2 - 1);
        _y = new float[N * outDim];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }

    protected void Run()
    {
        var w = _copies[_next];
        _next = (_next + 1) % _copies.Length;
        MatMul.Forward(w, _x, _y, N);
    }
}

/// <summary>Decode: n = 1, bound by memory bandwidth; compare GB/s with <see cref="BandwidthBench"/>.</summary>
public class MatMulDecodeBench : MatMulBenchBase
{
    protected override int N => 1;

    [Params(DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0)]
    public override DType DType { get; set; }

    [Benchmark]
    public void Decode() => Run();
}

/// <summary>
/// Q8_0/Q4_0 decode both ways: integer dots on 8-bit activations vs F32 FMA on weights dequantized in registers
/// (the measurement behind MatMul's per-dtype default).
/// </summary>
public class MatMulQuantizedDecodePathBench : MatMulBenchBase
{
    protected override int N => 1;

    [Params(DType.Q8_0, DType.Q4_0)]
    public override DType DType { get; set; }

    [Params(true, false)]
    public bool Int8Activations { get; set; }

    [Benchmark]
    public void Decode()
    {
        MatMul.QuantizedDecode = Int8Activations;
        try { Run(); }
        finally { MatMul.QuantizedDecode = null; }
    }
}

/// <summary>Prefill: n = 64 activation rows per weight read, bound by FMA throughput.</summary>
public class MatMulPrefillBench : MatMulBenchBase
{
    protected override int N => 64;

    [Params(DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0)]
    public override DType DType { get; set; }

    [Benchmark]
    public void Prefill() => Run();
}
