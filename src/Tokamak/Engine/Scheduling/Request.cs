using Tokamak.Engine.Kv;

namespace Tokamak.Engine.Scheduling;

/// <summary>
/// One generation request as the scheduler tracks it: prompt, limits, and the growing token sequence
/// (prompt followed by outputs). <see cref="NumComputedTokens"/> counts leading tokens whose K/V are in the cache;
/// the tokens from there to <see cref="NumTokens"/> are what the next steps must compute (a prompt chunk, or the one
/// token sampled last step).
/// </summary>
public sealed class Request
{
    private readonly int[] _tokens; // [prompt + maxTokens], filled up to NumTokens; fixed so step slices stay valid
    private readonly HashSet<int> _eos;

    /// <summary>
    /// Creates a request. Lower <paramref name="priority"/> values are served first (as in vLLM).
    /// <paramref name="maxSequences"/> is how many sequences it may fork into (n choices or the beam width); the
    /// scheduler reserves that many of <see cref="SchedulerConfig.MaxNumSeqs"/> while any of them runs.
    /// </summary>
    public Request(string id, ReadOnlySpan<int> promptTokens, int maxTokens, int priority = 0,
        IEnumerable<int>? eosTokenIds = null, string? cacheSalt = null, int? loraId = null, int maxSequences = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (promptTokens.IsEmpty) throw new ArgumentException($"request '{id}' has an empty prompt");
        if (maxTokens < 1) throw new ArgumentException($"request '{id}' must allow at least one output token, got max tokens {maxTokens}");
        if (maxSequences < 1) throw new ArgumentException($"request '{id}' must allow at least one sequence, got {maxSequences}");
        Id = id;
        PromptLength = promptTokens.Length;
        MaxTokens = maxTokens;
        Priority = priority;
        _tokens = new int[checked(promptTokens.Length + maxTokens)];
        promptTokens.CopyTo(_tokens);
        NumTokens = promptTokens.Length;
        _eos = eosTokenIds is null ? [] : [.. eosTokenIds];
        CacheSalt = cacheSalt;
        LoraId = loraId;
        Seed = BlockHash.Seed(cacheSalt, loraId);
        Group = new SequenceGroup(maxSequences);
    }

    /// <summary>Caller's id (unique among live requests).</summary>
    public string Id { get; }

    /// <summary>Scheduler-assigned arrival number; also the KV sequence id. −1 until added.</summary>
    public long ArrivalOrder { get; internal set; } = -1;

    /// <summary>Lower is more important; ties are broken by arrival.</summary>
    public int Priority { get; }

    /// <summary>Most output tokens to generate.</summary>
    public int MaxTokens { get; }

    /// <summary>Prefix-cache namespace (tenant isolation); null shares the default namespace.</summary>
    public string? CacheSalt { get; }

    /// <summary>Adapter id, part of the prefix-cache key.</summary>
    public int? LoraId { get; }

    /// <summary>Root of this request's prefix-cache hash chain.</summary>
    public BlockHash Seed { get; }

    /// <summary>Sequences this request and its forks may run at once (n or the beam width).</summary>
    public int MaxSequences => Group.Width;

    /// <summary>The fork family this request belongs to (shared with its forks).</summary>
    internal SequenceGroup Group { get; private set; }

    /// <summary>Current state.</summary>
    public RequestState State { get; internal set; } = RequestState.Waiting;

    /// <summary>Set once the request is finished.</summary>
    public FinishReason? FinishReason { get; internal set; }

    /// <summary>Prompt length.</summary>
    public int PromptLength { get; }

    /// <summary>Prompt plus outputs so far.</summary>
    public int NumTokens { get; private set; }

    /// <summary>Leading tokens whose K/V exist (prefix-cache hits included).</summary>
    public int NumComputedTokens { get; internal set; }

    /// <summary>Tokens reused from the prefix cache at the latest admission.</summary>
    public int NumCachedTokens { get; internal set; }

    /// <summary>Times this request was preempted.</summary>
    public int NumPreemptions { get; internal set; }

    /// <summary>Output tokens generated so far.</summary>
    public int NumOutputTokens => NumTokens - PromptLength;

    /// <summary>Prompt token ids.</summary>
    public ReadOnlySpan<int> PromptTokens => _tokens.AsSpan(0, PromptLength);

    /// <summary>Generated token ids.</summary>
    public ReadOnlySpan<int> OutputTokens => _tokens.AsSpan(PromptLength, NumOutputTokens);

    /// <summary>Prompt followed by outputs.</summary>
    public ReadOnlySpan<int> AllTokens => _tokens.AsSpan(0, NumTokens);

    /// <summary>
    /// True when the last step computed every token but the engine deferred choosing the next one (beam search,
    /// parallel-sampling forks); the request is not scheduled until <see cref="Scheduler.AppendToken"/> or
    /// <see cref="Scheduler.Fork"/> supplies it.
    /// </summary>
    public bool AwaitingToken { get; internal set; }

    /// <summary>A new request with this one's prompt, limits, cache namespace and outputs so far, under <paramref name="id"/>.</summary>
    internal Request CloneAs(string id)
    {
        var child = new Request(id, PromptTokens, MaxTokens, Priority, _eos, CacheSalt, LoraId) { Group = Group };
        foreach (int t in OutputTokens) child.AppendOutput(t);
        return child;
    }

    /// <summary>True when <paramref name="token"/> ends this request.</summary>
    public bool IsEos(int token) => _eos.Contains(token);

    internal ReadOnlyMemory<int> TokenSlice(int start, int count) => _tokens.AsMemory(start, count);

    internal void AppendOutput(int token)
    {
        if (NumTokens == _tokens.Length) throw new InvalidOperationException($"request '{Id}' already has its {MaxTokens} output tokens");
        _tokens[NumTokens++] = token;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({State}, {NumComputedTokens}/{NumTokens} computed, {NumOutputTokens} out)";
}
