using System.Runtime.CompilerServices;
using Tokamak.Server.Backend;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Tests;

/// <summary>
/// A backend whose "model" replies with a fixed text, cut into the given pieces, one token event each. Used where a
/// tiny real model cannot be made to produce a specific output (tool calls). It records the prompts it is given.
/// </summary>
internal sealed class ScriptedBackend(Tokenizer tokenizer, ChatTemplate template, string[] pieces) : IGenerationBackend
{
    public List<int[]> Prompts { get; } = [];
    public string ModelName => "scripted";
    public int ContextLength => 512;
    public Tokenizer Tokenizer => tokenizer;
    public ChatTemplate? ChatTemplate => template;
    public BackendCapabilities Capabilities => new(false, false, 4);
    public BackendMetrics Metrics => new(16, 0, 32, 0, 0, 0, 0, 0);

    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        lock (Prompts) Prompts.Add([.. request.PromptIds]);
        for (int c = 0; c < request.N; c++)
        {
            foreach (var piece in pieces)
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                yield return new TokenEvent(c, 5, piece, null);
            }
            yield return new FinishEvent(c, "stop");
        }
        yield return new UsageEvent(request.PromptIds.Count, pieces.Length * request.N, 0);
    }

    public Task<float[]> EmbedAsync(IReadOnlyList<int> ids, EmbeddingPooling pooling, CancellationToken ct) => throw new NotSupportedException();

    public void Dispose() { }
}
