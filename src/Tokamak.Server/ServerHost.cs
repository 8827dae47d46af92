using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tokamak.Server.Api;
using Tokamak.Server.Backend;
using Tokamak.Server.Hosting;

namespace Tokamak.Server;

/// <summary>
/// Entry points for hosting the OpenAI-compatible server (used by <c>tokamak serve</c> and by tests):
/// <see cref="LoadOptions"/> → <see cref="Build"/> → <c>StartAsync</c>/<c>RunAsync</c>, or <see cref="RunAsync"/>
/// for all of it.
/// </summary>
public static class ServerHost
{
    /// <summary>
    /// Options from <c>appsettings.json</c> (working directory, then the app's folder) and environment variables
    /// (<c>Tokamak__Port=9000</c>) in the <c>Tokamak</c> section, then <paramref name="commandLine"/> applied on top
    /// (set only what the user gave). The result is validated.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static ServerOptions LoadOptions(Action<ServerOptions>? commandLine = null, string? basePath = null)
    {
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(basePath ?? Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = new ServerOptions();
        try { config.GetSection(ServerOptions.Section).Bind(options); }
        catch (InvalidOperationException e) { throw new ArgumentException($"invalid {ServerOptions.Section} configuration: {e.Message}"); }
        commandLine?.Invoke(options);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Builds the web application. With no <paramref name="backend"/>, the model at <see cref="ServerOptions.Model"/>
    /// is loaded (and disposed when the application is disposed). <paramref name="logging"/> adjusts logging (tests
    /// capture it).
    /// </summary>
    public static WebApplication Build(ServerOptions options, IGenerationBackend? backend = null, Action<ILoggingBuilder>? logging = null)
    {
        options.Validate();
        bool owns = backend is null;
        if (backend is null)
        {
            if (string.IsNullOrWhiteSpace(options.Model)) throw new ArgumentException("no model given (--model PATH or Tokamak:Model)");
            backend = CreateBackend(options);
        }
        try
        {
            return BuildApp(options, backend, owns, logging);
        }
        catch
        {
            if (owns) backend.Dispose();
            throw;
        }
    }

    /// <summary>The backend <paramref name="options"/> ask for, with the model loaded.</summary>
    public static IGenerationBackend CreateBackend(ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Model)) throw new ArgumentException("no model given (--model PATH or Tokamak:Model)");
        if (options.Backend == "generator") return GeneratorBackend.Load(options.Model);
        return EngineBackend.Load(options.Model, new Tokamak.Engine.EngineOptions
        {
            MaxNumSeqs = options.MaxNumSeqs,
            KvCacheBytes = options.KvCacheMemory is null ? null : ByteSize.Parse(options.KvCacheMemory, "kv-cache-memory"),
            KvCacheDType = Tokamak.Engine.Kv.KvCacheSpec.ParseDType(options.KvCacheDType),
        });
    }

    private static WebApplication BuildApp(ServerOptions options, IGenerationBackend backend, bool owns, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            switch (options.Host)
            {
                case "0.0.0.0" or "*" or "+": k.ListenAnyIP(options.Port); break;
                case "localhost": k.ListenLocalhost(options.Port); break;
                default:
                    if (!IPAddress.TryParse(options.Host, out var ip)) throw new ArgumentException($"host must be an IP address, localhost or 0.0.0.0, got '{options.Host}'");
                    k.Listen(ip, options.Port);
                    break;
            }
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));
        // One line per request comes from RequestPipeline; ASP.NET's own per-request chatter stays below Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        logging?.Invoke(builder.Logging);

        var state = new ServerState(options, backend);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<RequestPipeline>();
        var app = builder.Build();
        app.Lifetime.ApplicationStopping.Register(() => state.Admission.Stopping = true);
        if (owns) app.Lifetime.ApplicationStopped.Register(backend.Dispose);

        var pipeline = app.Services.GetRequiredService<RequestPipeline>();
        app.Use((ctx, next) => pipeline.InvokeAsync(ctx, next));
        app.MapGet("/v1/models", ctx => TokenizeEndpoints.ModelsAsync(ctx, state));
        app.MapGet("/v1/models/{**model}", (HttpContext ctx, string model) => TokenizeEndpoints.ModelAsync(ctx, state, model));
        app.MapPost("/v1/completions", ctx => CompletionsEndpoint.HandleAsync(ctx, state));
        app.MapPost("/v1/chat/completions", ctx => ChatCompletionsEndpoint.HandleAsync(ctx, state));
        app.MapPost("/v1/embeddings", ctx => EmbeddingsEndpoint.HandleAsync(ctx, state));
        app.MapPost("/tokenize", ctx => TokenizeEndpoints.TokenizeAsync(ctx, state));
        app.MapPost("/detokenize", ctx => TokenizeEndpoints.DetokenizeAsync(ctx, state));
        app.MapGet("/health", ctx => state.Admission.Stopping
            ? ErrorWriter.WriteAsync(ctx, 503, "the server is shutting down", "server_error", code: "server_shutting_down")
            : TokenizeEndpoints.WriteAsync(ctx, w => w.WriteString("status", "ok")));
        app.MapGet("/metrics", async ctx =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await ctx.Response.WriteAsync(state.Metrics.Render(backend.Metrics, state.Admission.InFlight), ctx.RequestAborted);
        });
        app.MapFallback(ctx => throw new ApiException(404, $"no route for {ctx.Request.Method} {ctx.Request.Path}", code: "not_found"));
        return app;
    }

    /// <summary>The addresses Kestrel bound (after start), e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>
    /// Loads the model, serves until <paramref name="ct"/> is cancelled or the process gets SIGTERM/Ctrl+C, then
    /// stops accepting, lets running requests finish within <see cref="ServerOptions.ShutdownTimeoutSeconds"/>
    /// (cancelling the rest) and returns 0.
    /// </summary>
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken ct = default)
    {
        await using var app = Build(options);
        await app.StartAsync(ct);
        foreach (var a in Addresses(app)) app.Logger.LogInformation("serving {Model} on {Address}", options.ServedModelName ?? options.Model, a);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
}
