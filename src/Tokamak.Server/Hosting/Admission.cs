namespace Tokamak.Server.Hosting;

/// <summary>
/// Bounds the generation requests in flight to the running capacity plus a waiting queue; beyond that, or while the
/// server is stopping, requests are refused (429 / 503 with Retry-After) instead of queuing without limit.
/// </summary>
internal sealed class Admission
{
    private readonly int _limit;
    private int _inFlight;

    public Admission(int running, int waiting) => _limit = running + waiting;

    public int InFlight => Volatile.Read(ref _inFlight);

    public bool Stopping { get; set; }

    /// <summary>A lease to dispose when the request ends, or null when the queue is full.</summary>
    public Lease? TryEnter()
    {
        while (true)
        {
            int cur = Volatile.Read(ref _inFlight);
            if (cur >= _limit) return null;
            if (Interlocked.CompareExchange(ref _inFlight, cur + 1, cur) == cur) return new Lease(this);
        }
    }

    internal sealed class Lease(Admission owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref owner._inFlight);
        }
    }
}
