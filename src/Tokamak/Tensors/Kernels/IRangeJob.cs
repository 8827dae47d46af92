namespace Tokamak.Tensors.Kernels;

/// <summary>
/// A piece of data-parallel work over an index range, dispatched by <see cref="ComputePool.For{TJob}"/> without
/// allocating. <see cref="Execute"/> is called concurrently from several threads on the same instance, each with a
/// disjoint range, so it must not mutate shared state of the struct.
/// </summary>
public interface IRangeJob
{
    /// <summary>Processes indices [start, end).</summary>
    void Execute(int start, int end);
}
