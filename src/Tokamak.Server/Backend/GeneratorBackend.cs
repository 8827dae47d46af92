using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Tokamak.Engine;
using Tokamak.Models.Architectures;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Backend;

/// <summary>
/// A backend over the single-sequence <see cref="Generator"/>: one request at a time (a semaphore queues the rest),
/// the choices of an n &gt; 1 request one after another with seed + i. Honest but slow; the batching engine replaces
/// it. KV use is reported in blocks of 16 positions: while a sequence runs it holds its whole preallocated capacity.
/// </summary>
public sealed class GeneratorBackend : IGenerationBackend
{
    private const int BlockSize = 16;
    private readonly LlamaModel _model;
    private readonly Generator _generator;
    private readonly IDisposable? _owner;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _kvBlocksTotal;
    private int _waiting;
    private int _running;
    private long _blocksUsed;
    private long _cancelled;

    /// <summary>Serves <paramref name="model"/>; disposes <paramref name="owner"/> (e.g. the mapped weights) on dispose.</summary>
    public GeneratorBackend(LlamaModel model, Tokenizer tokenizer, ChatTemplate? chatTemplate, string modelName, IDisposable? owner = null)
    {
        _model = model;
        _owner = owner;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        ModelName = modelName;
        _generator = new Generator(model, tokenizer);
        _kvBlocksTotal = (model.Config.MaxPositions + BlockSize - 1) / BlockSize;
    }

    /// <summary>Opens the model at <paramref name="path"/>.</summary>
    public static GeneratorBackend Load(string path)
    {
        var m = Tokamak.Models.ModelLoader.Load(path);
        return new GeneratorBackend(m.Model, m.Tokenizer, m.ChatTemplate, m.Name, m);
    }

    /// <inheritdoc />
    public string ModelName { get; }
    /// <inheritdoc />
    public int ContextLength => _model.Config.MaxPositions;
    /// <inheritdoc />
    public Tokenizer Tokenizer { get; }
    /// <inheritdoc />
    public ChatTemplate? ChatTemplate { get; }
    /// <inheritdoc />
    public BackendCapabilities Capabilities => new(BeamSearch: false, Embeddings: true, MaxRunningSequences: 1);

    /// <inheritdoc />
    public BackendMetrics Metrics
    {
        get
        {
            long used = Interlocked.Read(ref _blocksUsed);
            return new BackendMetrics(BlockSize, used, _kvBlocksTotal - used, 0, Volatile.Read(ref _running), Volatile.Read(ref _waiting), 0,
                Interlocked.Read(ref _cancelled));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (request.BeamSearch is not null) throw new NotSupportedException("beam search is not supported by the single-sequence backend");
        request.Sampling.Validate();
        if (request.PromptIds.Count >= ContextLength)
            throw new ArgumentException($"the prompt has {request.PromptIds.Count} tokens, but the model's context length is {ContextLength}");

        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var worker = Task.Run(() => RunAsync(request, channel.Writer, cts.Token), CancellationToken.None);
        try
        {
            while (await ReadNextAsync(channel.Reader).ConfigureAwait(false) is { } e)
                yield return e;
        }
        finally
        {
            // The consumer stopped early (disconnect, error): abort the generation and wait so its KV is freed.
            cts.Cancel();
            try { await worker.ConfigureAwait(false); } catch { /* reported through the channel */ }
        }
        ct.ThrowIfCancellationRequested();
    }

    // Next event or null at the end; a failure of the worker is rethrown as itself, not as ChannelClosedException.
    private static async ValueTask<GenerationEvent?> ReadNextAsync(ChannelReader<GenerationEvent> reader)
    {
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
                if (reader.TryRead(out var e)) return e;
            return null;
        }
        catch (ChannelClosedException x) when (x.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(x.InnerException);
            throw;
        }
    }

    private async Task RunAsync(GenerationRequest request, ChannelWriter<GenerationEvent> writer, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        bool entered = false;
        try
        {
            try
            {
                await _gate.WaitAsync(ct).ConfigureAwait(false);
                entered = true;
            }
            finally { Interlocked.Decrement(ref _waiting); }
            Interlocked.Increment(ref _running);
            int completion = 0;
            for (int i = 0; i < request.N; i++)
            {
                var p = request.Sampling;
                if (p.Seed is ulong seed) p = p with { Seed = seed + (ulong)i };
                long blocks = (Math.Min(ContextLength, request.PromptIds.Count + p.MaxTokens) + BlockSize - 1) / BlockSize;
                Interlocked.Add(ref _blocksUsed, blocks);
                try
                {
                    int choice = i;
                    var result = _generator.Generate(request.PromptIds, p, t => writer.TryWrite(new TokenEvent(choice, t.Id, t.Text, t.Logprobs)), ct);
                    completion += result.Ids.Length;
                    writer.TryWrite(new FinishEvent(i, result.FinishReason));
                }
                finally { Interlocked.Add(ref _blocksUsed, -blocks); }
            }
            writer.TryWrite(new UsageEvent(request.PromptIds.Count, completion, 0));
            writer.TryComplete();
        }
        catch (OperationCanceledException e)
        {
            Interlocked.Increment(ref _cancelled);
            writer.TryComplete(e);
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
        finally
        {
            if (entered)
            {
                Interlocked.Decrement(ref _running);
                _gate.Release();
            }
        }
    }

    /// <inheritdoc />
    public async Task<float[]> EmbedAsync(IReadOnlyList<int> ids, EmbeddingPooling pooling, CancellationToken ct)
    {
        if (ids.Count == 0) throw new ArgumentException("the input is empty (no tokens)");
        if (ids.Count > ContextLength) throw new ArgumentException($"the input has {ids.Count} tokens, but the model's context length is {ContextLength}");
        Interlocked.Increment(ref _waiting);
        try { await _gate.WaitAsync(ct).ConfigureAwait(false); }
        finally { Interlocked.Decrement(ref _waiting); }
        Interlocked.Increment(ref _running);
        try
        {
            return await Task.Run(() => HiddenPooling.Embed(_model, ids, pooling), ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // A generation cancelled at shutdown may still be inside a forward step; let it leave before unmapping.
        if (_gate.Wait(TimeSpan.FromSeconds(10))) _gate.Release();
        _owner?.Dispose();
    }
}
