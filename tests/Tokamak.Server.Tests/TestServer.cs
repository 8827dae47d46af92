using System.ClientModel;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using Tokamak.Server.Backend;

namespace Tokamak.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with an OS-chosen port, plus clients for it.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "test-key-123";

    private TestServer(WebApplication app, ServerOptions options, CapturingLoggerProvider logs)
    {
        App = app;
        Options = options;
        Logs = logs;
        BaseAddress = new Uri(ServerHost.Addresses(app).Single());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public WebApplication App { get; }
    public ServerOptions Options { get; }
    public CapturingLoggerProvider Logs { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public string ModelName => Options.ServedModelName!;

    public static async Task<TestServer> StartAsync(string? modelPath = null, IGenerationBackend? backend = null, Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            Model = modelPath,
            Host = "127.0.0.1",
            Port = 0,
            ApiKey = ApiKey,
            ServedModelName = "test-model",
            ShutdownTimeoutSeconds = 5,
            MaxRequestBodyBytes = 256 << 10,
        };
        configure?.Invoke(options);
        var logs = new CapturingLoggerProvider();
        var app = ServerHost.Build(options, backend, l =>
        {
            l.ClearProviders();
            l.AddProvider(logs);
        });
        await app.StartAsync();
        return new TestServer(app, options, logs);
    }

    private OpenAIClientOptions ClientOptions => new() { Endpoint = new Uri(BaseAddress, "/v1") };

    public ChatClient Chat() => new(ModelName, new ApiKeyCredential(ApiKey), ClientOptions);

    public EmbeddingClient Embeddings() => new(ModelName, new ApiKeyCredential(ApiKey), ClientOptions);

    /// <summary>Value of a metric line <c>name value</c> in /metrics.</summary>
    public async Task<double> MetricAsync(string name)
    {
        string text = await Http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"metric {name} not found");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
