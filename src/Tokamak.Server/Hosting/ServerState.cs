using Tokamak.Server.Api;
using Tokamak.Server.Backend;
using Tokamak.Server.Metrics;
using Tokamak.Server.Tools;

namespace Tokamak.Server.Hosting;

/// <summary>The singletons every endpoint shares.</summary>
internal sealed class ServerState
{
    public ServerState(ServerOptions options, IGenerationBackend backend)
    {
        Options = options;
        Backend = backend;
        ModelName = options.ServedModelName ?? backend.ModelName;
        Admission = new Admission(Math.Min(options.MaxNumSeqs, backend.Capabilities.MaxRunningSequences), options.MaxWaitingRequests);
        ApiKey = new ApiKeyCheck(options.ApiKey);
        ToolParser = options.ToolCallParser switch
        {
            "hermes" => new HermesToolCallParser(),
            "none" => null,
            _ => backend.ChatTemplate?.Template.Source.Contains(HermesToolCallParser.Open, StringComparison.Ordinal) == true ? new HermesToolCallParser() : null,
        };
        Pooling = options.EmbeddingPooling == "last" ? EmbeddingPooling.Last : EmbeddingPooling.Mean;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public ServerOptions Options { get; }
    public IGenerationBackend Backend { get; }
    public string ModelName { get; }
    public Admission Admission { get; }
    public ApiKeyCheck ApiKey { get; }
    public IToolCallParser? ToolParser { get; }
    public EmbeddingPooling Pooling { get; }
    public ServerMetrics Metrics { get; } = new();
    public long Created { get; }

    /// <summary>404 unless <paramref name="model"/> is the served model (absent means it).</summary>
    public void CheckModel(string? model)
    {
        if (model is not null && model != ModelName)
            throw new ApiException(404, $"the model '{model}' does not exist; this server serves '{ModelName}'", "invalid_request_error", "model", "model_not_found");
    }

    /// <summary>Admits a generation request or throws 429 (queue full) / 503 (stopping).</summary>
    public IDisposable Admit()
    {
        if (Admission.Stopping)
        {
            Metrics.AddRejected();
            throw new ApiException(503, "the server is shutting down", "server_error", code: "server_shutting_down");
        }
        var lease = Admission.TryEnter();
        if (lease is null)
        {
            Metrics.AddRejected();
            throw new ApiException(429, "the server's request queue is full; retry later", "rate_limit_error", code: "queue_full");
        }
        return lease;
    }

    /// <summary>400 with <c>context_length_exceeded</c> when a prompt leaves no room to generate.</summary>
    public void CheckPromptLength(int tokens, string param)
    {
        if (tokens == 0) throw ApiException.BadRequest($"'{param}' is empty (no tokens)", param);
        if (tokens >= Backend.ContextLength)
            throw ApiException.BadRequest(
                $"this model's maximum context length is {Backend.ContextLength} tokens, but the prompt has {tokens}", param, "context_length_exceeded");
    }
}
