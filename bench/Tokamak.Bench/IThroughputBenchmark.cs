namespace Tokamak.Bench;

/// <summary>Work done by one invocation of a benchmark method, for the GB/s and GFLOP/s columns.</summary>
public interface IThroughputBenchmark
{
    /// <summary>Bytes read from memory per invocation (the weights for a matmul).</summary>
    double BytesPerInvocation { get; }

    /// <summary>Floating-point operations per invocation (2 per multiply-add).</summary>
    double FlopsPerInvocation { get; }
}
