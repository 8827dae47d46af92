using System.Runtime.CompilerServices;
using Tokamak.Engine;
using Tokamak.Engine.Scheduling;
using Tokamak.Models;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Backend;

/// <summary>
/// The production backend: the continuous-batching <see cref="LlmEngine"/> (paged KV cache, prefix caching, n &gt; 1
/// by forking, beam search). Embeddings run beside it on the same weights, one at a time.
/// </summary>
public sealed class EngineBackend : IGenerationBackend
{
    private readonly LoadedModel _model;
    private readonly LlmEngine _engine;
    private readonly bool _ownsModel;
    private readonly HashSet<int> _eos;
    private readonly SemaphoreSlim _embedGate = new(1, 1);
    private long _aborted;

    /// <summary>Starts an engine over <paramref name="model"/>; disposes the model too when <paramref name="ownsModel"/>.</summary>
    public EngineBackend(LoadedModel model, EngineOptions options, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        _engine = new LlmEngine(model.Config, model.Weights.Weights, model.Tokenizer, options);
        _eos = [.. model.Config.EosTokenIds];
        if (model.Tokenizer.EosId is int e) _eos.Add(e);
        Capabilities = new BackendCapabilities(BeamSearch: true, Embeddings: true, MaxRunningSequences: options.MaxNumSeqs);
    }

    /// <summary>Loads <paramref name="path"/> and starts the engine with the server's limits.</summary>
    public static EngineBackend Load(string path, EngineOptions options)
    {
        var model = ModelLoader.Load(path);
        try { return new EngineBackend(model, options, ownsModel: true); }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string ModelName => _model.Name;
    /// <inheritdoc />
    public int ContextLength => _engine.MaxModelLength;
    /// <inheritdoc />
    public Tokenizer Tokenizer => _model.Tokenizer;
    /// <inheritdoc />
    public ChatTemplate? ChatTemplate => _model.ChatTemplate;
    /// <inheritdoc />
    public BackendCapabilities Capabilities { get; }

    /// <inheritdoc />
    public BackendMetrics Metrics
    {
        get
        {
            var m = _engine.Metrics;
            return new BackendMetrics(_engine.KvCacheSpec.BlockSize, m.KvBlocksUsed, m.KvBlocksFree, m.KvBlocksCached,
                m.RunningSequences, m.WaitingSequences, m.PrefixCacheHitRatio, Interlocked.Read(ref _aborted));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var handle = _engine.Submit(new EngineRequest
        {
            RequestId = request.Id,
            PromptTokenIds = request.PromptIds,
            Sampling = request.Sampling,
            N = request.N,
            UseBeamSearch = request.BeamSearch is not null,
            BeamWidth = request.BeamSearch?.BeamWidth ?? 4,
            LengthPenalty = request.BeamSearch?.LengthPenalty ?? 1f,
            Priority = request.Priority,
            CacheSalt = request.CacheSalt,
        }, ct);
        bool finished = false;
        try
        {
            await foreach (var o in handle.Outputs.ReadAllAsync(ct).ConfigureAwait(false))
            {
                // EOS / stop-token ids end a choice without being part of its text or logprobs (as Generator).
                bool endToken = o.FinishReason == FinishReason.Stop && o.TextDelta.Length == 0
                    && (_eos.Contains(o.TokenId) || request.Sampling.StopTokenIds.Contains(o.TokenId));
                if (o.TokenId >= 0 && !endToken) yield return new TokenEvent(o.Choice, o.TokenId, o.TextDelta, o.Logprobs);
                else if (o.TextDelta.Length > 0) yield return new TokenEvent(o.Choice, -1, o.TextDelta, null);
                if (o.FinishReason is { } reason)
                    yield return new FinishEvent(o.Choice, reason switch { FinishReason.Stop => "stop", FinishReason.Length => "length", _ => "abort" });
                if (o.Usage is { } u)
                {
                    finished = true;
                    yield return new UsageEvent(u.PromptTokens, u.CompletionTokens, u.CachedPromptTokens);
                }
            }
        }
        finally
        {
            if (!finished)
            {
                // Disconnect, cancellation or a consumer failure: free the request's KV now.
                handle.Abort();
                Interlocked.Increment(ref _aborted);
                try { await handle.Completion.ConfigureAwait(false); } catch { /* the abort is the outcome */ }
            }
        }
        if (!finished) ct.ThrowIfCancellationRequested();
    }

    /// <inheritdoc />
    public async Task<float[]> EmbedAsync(IReadOnlyList<int> ids, EmbeddingPooling pooling, CancellationToken ct)
    {
        if (ids.Count == 0) throw new ArgumentException("the input is empty (no tokens)");
        if (ids.Count > _model.Config.MaxPositions) throw new ArgumentException($"the input has {ids.Count} tokens, but the model's context length is {_model.Config.MaxPositions}");
        await _embedGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => HiddenPooling.Embed(_model.Model, ids, pooling), ct).ConfigureAwait(false);
        }
        finally { _embedGate.Release(); }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _engine.Dispose();
        if (_embedGate.Wait(TimeSpan.FromSeconds(10))) _embedGate.Release();
        if (_ownsModel) _model.Dispose();
    }
}
