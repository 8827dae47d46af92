using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Tokamak.Tensors.Kernels;

/// <summary>
/// Splits a range of independent work items (rows, heads) across the machine's cores with a persistent pool:
/// <c>Threads − 1</c> background workers are created once and the calling thread takes part as the last worker.
/// Workers spin for a short while after each job (a decode step issues hundreds of jobs of a few microseconds each)
/// and then sleep. A dispatch allocates nothing. Chunks are handed out dynamically, so a core slowed by a
/// neighbouring process does not hold the others back.
/// </summary>
/// <remarks>
/// Only one job runs on a pool at a time: a <see cref="For{TJob}"/> issued while the pool is busy (from another
/// thread, or nested inside a job) runs inline on its caller instead of waiting, so it can never deadlock.
/// An exception thrown by a job is rethrown on the caller after every worker has stopped touching the job.
/// </remarks>
public sealed unsafe class ComputePool : IDisposable
{
    // How long an idle worker spins before it blocks; covers the gap between consecutive kernels of one step.
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    private static ComputePool? _shared;

    /// <summary>The pool all kernels use (one worker per logical processor until <see cref="Configure"/> is called).</summary>
    public static ComputePool Shared
    {
        get
        {
            var p = Volatile.Read(ref _shared);
            if (p != null) return p;
            var created = new ComputePool(Environment.ProcessorCount);
            if (Interlocked.CompareExchange(ref _shared, created, null) != null) created.Dispose();
            return _shared!;
        }
    }

    /// <summary>Replaces the shared pool with one of <paramref name="threads"/> workers (start-up only).</summary>
    public static void Configure(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be at least 1");
        var old = Interlocked.Exchange(ref _shared, new ComputePool(threads));
        old?.Dispose();
    }

    private readonly Thread[] _workers;
    private readonly object _gate = new();

    // The published job. Written by the dispatching thread before _generation is bumped.
    private delegate*<void*, int, int, void> _run;
    private void* _job;
    private int _count, _chunks;

    private long _generation;   // bumped once per dispatched job
    private int _nextChunk;      // dynamic chunk counter
    private int _pendingWorkers; // workers that have not yet finished the current job
    private int _sleepers;       // workers blocked on _gate
    private int _busy;           // 1 while a job is running (or the pool is disposed)
    private volatile bool _stopping;
    private Exception? _error;

    /// <summary>Creates a pool of <paramref name="threads"/> workers, counting the calling thread.</summary>
    public ComputePool(int threads)
    {
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"tokamak-compute-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Number of threads that execute a job, including the caller.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous chunks of at least <paramref name="grain"/>.</summary>
    public void For(int count, int grain, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var job = new ActionJob(body);
        For(count, grain, ref job);
    }

    /// <summary>
    /// Runs <paramref name="job"/> over [0, count) in contiguous chunks of at least <paramref name="grain"/>
    /// indices, on all threads of the pool, and returns when every index has been processed exactly once.
    /// Allocation-free. The first exception thrown by any chunk is rethrown here (remaining chunks are skipped).
    /// </summary>
    public void For<TJob>(int count, int grain, ref TJob job) where TJob : struct, IRangeJob
    {
        if (count <= 0) return;
        grain = Math.Max(1, grain);
        int chunks = (int)Math.Min((count + (long)grain - 1) / grain, Threads * 4L);
        if (chunks <= 1 || _workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            job.Execute(0, count);
            return;
        }

        // Workers see a stack copy: it cannot move while they use it, and the caller's frame outlives the job.
        TJob local = job;
        try
        {
            _run = &RunJob<TJob>;
            _job = Unsafe.AsPointer(ref local);
            _count = count;
            _chunks = chunks;
            _error = null;
            _nextChunk = 0;
            _pendingWorkers = _workers.Length;
            Interlocked.Increment(ref _generation); // full fence: the fields above are visible before the bump
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);

            RunChunks();

            var spin = new SpinWait();
            while (Volatile.Read(ref _pendingWorkers) != 0) spin.SpinOnce(sleep1Threshold: -1);
            _job = null;
            var error = _error;
            _error = null;
            if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void RunJob<TJob>(void* job, int start, int end) where TJob : struct, IRangeJob
        => Unsafe.AsRef<TJob>(job).Execute(start, end);

    // Takes chunks until none are left or a chunk has failed.
    private void RunChunks()
    {
        int count = _count, chunks = _chunks;
        var run = _run;
        void* job = _job;
        while (Volatile.Read(ref _error) == null)
        {
            int c = Interlocked.Increment(ref _nextChunk) - 1;
            if (c >= chunks) break;
            int start = (int)((long)count * c / chunks), end = (int)((long)count * (c + 1) / chunks);
            try
            {
                run(job, start, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            long gen = WaitForJob(seen);
            if (_stopping) return;
            seen = gen;
            RunChunks();
            Interlocked.Decrement(ref _pendingWorkers);
        }
    }

    private long WaitForJob(long seen)
    {
        long gen;
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        int i = 0;
        while ((gen = Volatile.Read(ref _generation)) == seen && !_stopping)
        {
            if ((++i & 63) == 0 && Stopwatch.GetTimestamp() > until)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers); // full fence, pairs with the dispatcher's bump
                    while ((gen = Volatile.Read(ref _generation)) == seen && !_stopping) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
                return gen;
            }
            Thread.SpinWait(8);
        }
        return gen;
    }

    /// <summary>Stops the workers once the running job (if any) has finished; later calls run inline.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private readonly struct ActionJob(Action<int, int> body) : IRangeJob
    {
        public void Execute(int start, int end) => body(start, end);
    }
}
