namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Splits a range of independent work items (rows, heads) across the machine's cores. One shared instance is
/// configured once at start-up from <c>--threads</c>.
/// </summary>
public sealed class ComputePool
{
    /// <summary>The pool all kernels use.</summary>
    public static ComputePool Shared { get; private set; } = new(Environment.ProcessorCount);

    /// <summary>Replaces the shared pool with one of <paramref name="threads"/> workers.</summary>
    public static void Configure(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be at least 1");
        Shared = new ComputePool(threads);
    }

    /// <summary>Creates a pool of <paramref name="threads"/> workers.</summary>
    public ComputePool(int threads) => Threads = Math.Max(1, threads);

    /// <summary>Number of workers.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous chunks of at least <paramref name="grain"/>.</summary>
    public void For(int count, int grain, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(Threads, Math.Max(1, count / Math.Max(1, grain)));
        if (chunks == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Threads }, c =>
        {
            int start = (int)((long)count * c / chunks), end = (int)((long)count * (c + 1) / chunks);
            body(start, end);
        });
    }
}
