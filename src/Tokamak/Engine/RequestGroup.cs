using System.Threading.Channels;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Engine;

/// <summary>Engine-side state of one submitted request: its choices (or beams), output channel and accounting.</summary>
internal sealed class RequestGroup
{
    public RequestGroup(EngineRequest request, ChoiceStream[] choices)
    {
        Request = request;
        Choices = choices;
        Channel = System.Threading.Channels.Channel.CreateUnbounded<EngineOutput>(new UnboundedChannelOptions { SingleWriter = true });
        Done = new TaskCompletionSource<EngineUsage>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public EngineRequest Request { get; }

    public string Id => Request.RequestId;

    public ChoiceStream[] Choices { get; }

    public Channel<EngineOutput> Channel { get; }

    public TaskCompletionSource<EngineUsage> Done { get; }

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>The first scheduler request (the prompt); parallel choices and beams fork from it.</summary>
    public Request? Root { get; set; }

    public BeamSearch? Beams { get; set; }

    /// <summary>Parallel sampling: the choices' first tokens, sampled from the prompt's logits, until the forks are made.</summary>
    public int[]? PendingForkTokens { get; set; }

    /// <summary>Parallel sampling: the prompt has been sampled for every choice.</summary>
    public bool Forked { get; set; }

    public int? CachedTokens { get; set; }

    /// <summary>Stopwatch ticks at submission (static batching's wait).</summary>
    public long ArrivalTicks { get; init; }

    /// <summary>Scratch mark used by the engine thread to count each group once.</summary>
    public int Stamp { get; set; }

    public bool Completed { get; set; }

    public bool AllChoicesFinished => Array.TrueForAll(Choices, c => c.Finished);

    public EngineUsage Usage()
    {
        int completion = 0;
        foreach (var c in Choices) completion += c.CompletionTokens;
        return new EngineUsage(Request.PromptTokenIds.Count, completion, CachedTokens ?? 0);
    }
}
