namespace Tokamak.Server;

/// <summary>
/// Settings of <c>tokamak serve</c>. Bound from the <c>Tokamak</c> configuration section (appsettings.json,
/// environment variables such as <c>Tokamak__Port=9000</c>), with command-line values layered on top by
/// <see cref="ServerHost.LoadOptions"/>.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Tokamak";

    /// <summary>Model path (Hugging Face folder, .gguf, llama2.c .bin).</summary>
    public string? Model { get; set; }

    /// <summary>Interface to listen on: an IP address, <c>localhost</c>, or <c>0.0.0.0</c>/<c>*</c> for all.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="ServerHost.Addresses"/>).</summary>
    public int Port { get; set; } = 8000;

    /// <summary>When set, every /v1 request needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model id clients use; defaults to the model's folder/file name.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>Most sequences the engine runs at once.</summary>
    public int MaxNumSeqs { get; set; } = 32;

    /// <summary>KV cache budget for the batching engine, e.g. <c>2GiB</c>, <c>512MB</c> (null: engine default).</summary>
    public string? KvCacheMemory { get; set; }

    /// <summary>KV cache element type: <c>f32</c> (default) or <c>int8</c> (per token-and-head scales).</summary>
    public string KvCacheDType { get; set; } = "f32";

    /// <summary>Requests allowed to wait beyond the running ones; more are refused with 429 and Retry-After.</summary>
    public int MaxWaitingRequests { get; set; } = 128;

    /// <summary>Seconds suggested to refused clients in <c>Retry-After</c>.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Largest request body accepted (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; set; } = 8L << 20;

    /// <summary>Largest <c>n</c> (choices per request).</summary>
    public int MaxN { get; set; } = 16;

    /// <summary>On shutdown, running requests get this long to finish before they are cancelled.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>Tool-call output format: <c>auto</c> (from the chat template), <c>hermes</c>, or <c>none</c>.</summary>
    public string ToolCallParser { get; set; } = "auto";

    /// <summary>Runtime: <c>engine</c> (continuous batching, the default) or <c>generator</c> (one sequence at a time).</summary>
    public string Backend { get; set; } = "engine";

    /// <summary>Embedding pooling: <c>mean</c> or <c>last</c>.</summary>
    public string EmbeddingPooling { get; set; } = "mean";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Check(Port is >= 0 and <= 65535, $"port must be between 0 and 65535, got {Port}");
        Check(!string.IsNullOrWhiteSpace(Host), "host must not be empty");
        Check(MaxNumSeqs >= 1, $"max-num-seqs must be at least 1, got {MaxNumSeqs}");
        Check(MaxWaitingRequests >= 0, $"max-waiting-requests must be at least 0, got {MaxWaitingRequests}");
        Check(RetryAfterSeconds >= 0, $"retry-after-seconds must be at least 0, got {RetryAfterSeconds}");
        Check(MaxRequestBodyBytes >= 1024, $"max-request-body-bytes must be at least 1024, got {MaxRequestBodyBytes}");
        Check(MaxN >= 1, $"max-n must be at least 1, got {MaxN}");
        Check(ShutdownTimeoutSeconds >= 0, $"shutdown-timeout must be at least 0, got {ShutdownTimeoutSeconds}");
        Check(ToolCallParser is "auto" or "hermes" or "none", $"tool-call-parser must be auto, hermes or none, got '{ToolCallParser}'");
        Check(Backend is "engine" or "generator", $"backend must be engine or generator, got '{Backend}'");
        Check(EmbeddingPooling is "mean" or "last", $"embedding-pooling must be mean or last, got '{EmbeddingPooling}'");
        Check(ApiKey is null || ApiKey.Length > 0, "api-key must not be empty");
        if (KvCacheMemory is not null) ByteSize.Parse(KvCacheMemory, "kv-cache-memory");
        Tokamak.Engine.Kv.KvCacheSpec.ParseDType(KvCacheDType);
    }
}
