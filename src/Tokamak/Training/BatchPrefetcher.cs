using System.Collections.Concurrent;

namespace Tokamak.Training;

/// <summary>
/// Produces items (tokenized, packed batches) on a background thread into a bounded queue, so the training loop
/// finds the next step's batches ready. Exceptions of the producer surface on the consumer's next take.
/// </summary>
public sealed class BatchPrefetcher<T> : IDisposable
{
    private readonly BlockingCollection<T> _queue;
    private readonly CancellationTokenSource _cts = new();
    private readonly Thread _thread;
    private Exception? _error;

    /// <summary>Starts producing <paramref name="source"/> with at most <paramref name="capacity"/> items waiting.</summary>
    public BatchPrefetcher(IEnumerable<T> source, int capacity = 4)
    {
        if (capacity <= 0) throw new ArgumentException($"prefetch capacity must be positive, got {capacity}");
        _queue = new BlockingCollection<T>(capacity);
        _thread = new Thread(() =>
        {
            try
            {
                foreach (var item in source)
                {
                    _queue.Add(item, _cts.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { _error = e; }
            finally { _queue.CompleteAdding(); }
        })
        { IsBackground = true, Name = "tokamak-batch-prefetch" };
        _thread.Start();
    }

    /// <summary>Items waiting in the queue now.</summary>
    public int Ready => _queue.Count;

    /// <summary>Takes the next item; false at the end of the source.</summary>
    public bool TryTake(out T item)
    {
        if (_queue.TryTake(out item!, Timeout.Infinite)) return true;
        if (_error is not null) throw new InvalidOperationException($"batch preparation failed: {_error.Message}", _error);
        return false;
    }

    /// <summary>Stops the producer and waits for it.</summary>
    public void Dispose()
    {
        _cts.Cancel();
        _thread.Join();
        _queue.Dispose();
        _cts.Dispose();
    }
}
