using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

public sealed class ComputePoolTests
{
    private struct CountJob(int[] hits) : IRangeJob
    {
        public readonly void Execute(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EveryIndexRunsExactlyOnce(int threads)
    {
        using var pool = new ComputePool(threads);
        foreach (int count in new[] { 1, 2, 7, 64, 333, 10_007 })
            foreach (int grain in new[] { 1, 3, 16, 1000 })
            {
                var hits = new int[count];
                var job = new CountJob(hits);
                for (int rep = 0; rep < 3; rep++) pool.For(count, grain, ref job);
                Assert.All(hits, h => Assert.Equal(3, h));

                var hits2 = new int[count];
                pool.For(count, grain, (s, e) => { for (int i = s; i < e; i++) Interlocked.Increment(ref hits2[i]); });
                Assert.All(hits2, h => Assert.Equal(1, h));
            }
    }

    [Fact]
    public void WorkIsSpreadOverThreads()
    {
        using var pool = new ComputePool(2);
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        for (int rep = 0; rep < 200 && threads.Count < 2; rep++)
            pool.For(64, 1, (s, e) => { threads[Environment.CurrentManagedThreadId] = true; Thread.SpinWait(20_000); });
        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public void ExceptionsPropagateAndThePoolStaysUsable()
    {
        using var pool = new ComputePool(3);
        for (int rep = 0; rep < 20; rep++)
        {
            var ex = Assert.Throws<InvalidOperationException>(() =>
                pool.For(100, 1, (s, e) => { if (s <= 57 && 57 < e) throw new InvalidOperationException("boom"); }));
            Assert.Equal("boom", ex.Message);
        }
        var hits = new int[100];
        pool.For(100, 1, (s, e) => { for (int i = s; i < e; i++) hits[i]++; });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedAndConcurrentCallsComplete()
    {
        using var pool = new ComputePool(2);
        var hits = new int[50 * 40];
        pool.For(50, 1, (s, e) =>
        {
            for (int i = s; i < e; i++)
                pool.For(40, 1, (s2, e2) => { for (int j = s2; j < e2; j++) Interlocked.Increment(ref hits[i * 40 + j]); });
        });
        Assert.All(hits, h => Assert.Equal(1, h));

        var totals = new long[4];
        Parallel.For(0, 4, k =>
        {
            for (int rep = 0; rep < 50; rep++)
                pool.For(1000, 10, (s, e) => Interlocked.Add(ref totals[k], e - s));
        });
        Assert.All(totals, t => Assert.Equal(50_000, t));
    }

    [Fact]
    public void ConfigureRejectsZeroThreads() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputePool.Configure(0));
}
