using System.Threading.Channels;

namespace Tokamak.Engine;

/// <summary>
/// The caller's side of a submitted request: the stream of <see cref="EngineOutput"/> events (enumerate it with
/// <c>await foreach</c>, or read <see cref="Outputs"/>), a task completing with the usage, and abort. The stream ends
/// when every choice has finished; it faults if the engine fails.
/// </summary>
public sealed class EngineRequestHandle : IAsyncEnumerable<EngineOutput>
{
    private readonly Action<string> _abort;

    internal EngineRequestHandle(string requestId, ChannelReader<EngineOutput> outputs, Task<EngineUsage> completion, Action<string> abort)
    {
        RequestId = requestId;
        Outputs = outputs;
        Completion = completion;
        _abort = abort;
    }

    /// <summary>The request's id.</summary>
    public string RequestId { get; }

    /// <summary>Events in generation order (per choice; choices interleave).</summary>
    public ChannelReader<EngineOutput> Outputs { get; }

    /// <summary>Completes with the usage when the request has finished (also after an abort).</summary>
    public Task<EngineUsage> Completion { get; }

    /// <summary>Aborts the request: it is removed at the engine's next step, its blocks freed, and unfinished choices end with finish reason Abort. Idempotent.</summary>
    public void Abort() => _abort(RequestId);

    /// <inheritdoc />
    public IAsyncEnumerator<EngineOutput> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        Outputs.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
}
