using System.Globalization;
using Tokamak.Server.Api;

namespace Tokamak.Server.Hosting;

/// <summary>
/// The outermost middleware: gives each request a <see cref="RequestRecord"/>, checks the API key, turns every
/// failure into OpenAI error JSON (never a stack trace), counts cancellations, and logs one line per request.
/// </summary>
internal sealed class RequestPipeline(ServerState state, ILogger<RequestPipeline> log)
{
    private const int ClientClosedRequest = 499; // nginx's convention, for logs and metrics only

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var record = new RequestRecord();
        ctx.Items[typeof(RequestRecord)] = record;
        ctx.Response.Headers["X-Request-Id"] = record.Id;
        string path = ctx.Request.Path.Value ?? "/";
        int status;
        try
        {
            if (NeedsKey(path) && !state.ApiKey.IsAuthorized(ctx.Request))
                throw new ApiException(401, "invalid or missing API key (send 'Authorization: Bearer KEY')", "authentication_error", code: "invalid_api_key");
            await next(ctx);
            status = ctx.Response.StatusCode;
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            record.Cancelled = true;
            state.Metrics.AddCancelled();
            status = ClientClosedRequest;
        }
        catch (ApiException e)
        {
            status = await FailAsync(ctx, e);
        }
        catch (BadHttpRequestException e)
        {
            var api = e.StatusCode == 413
                ? new ApiException(413, $"the request body is larger than the limit of {state.Options.MaxRequestBodyBytes} bytes", code: "request_too_large")
                : new ApiException(e.StatusCode, $"bad request: {e.Message}");
            status = await FailAsync(ctx, api);
        }
        catch (Exception e)
        {
            log.LogError(e, "request {Id} {Path} failed", record.Id, path);
            status = await FailAsync(ctx, new ApiException(500, "internal server error", "server_error"));
        }

        double seconds = record.Elapsed.TotalSeconds;
        state.Metrics.RequestFinished(EndpointLabel(path), status, seconds);
        var level = path is "/metrics" or "/health" ? LogLevel.Debug : LogLevel.Information;
        if (log.IsEnabled(level))
            log.Log(level, "request {Id} {Method} {Path} status={Status} prompt_tokens={Prompt} completion_tokens={Completion} ttft_ms={Ttft} duration_ms={Duration} finish={Finish}",
                record.Id, ctx.Request.Method, path, status, record.PromptTokens, record.CompletionTokens,
                record.TtftSeconds is double t ? (t * 1000).ToString("F1", CultureInfo.InvariantCulture) : "-",
                (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture),
                record.Cancelled ? "cancelled" : record.FinishReason ?? "-");
    }

    private static bool NeedsKey(string path) => path.StartsWith("/v1", StringComparison.Ordinal) || path is "/tokenize" or "/detokenize";

    private static string EndpointLabel(string path) => path switch
    {
        "/v1/completions" or "/v1/chat/completions" or "/v1/embeddings" or "/v1/models" or "/tokenize" or "/detokenize" or "/health" or "/metrics" => path,
        _ when path.StartsWith("/v1/models/", StringComparison.Ordinal) => "/v1/models/{id}",
        _ => "other",
    };

    private async Task<int> FailAsync(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted)
        {
            // Mid-stream (SSE): the status is already 200, so the error goes out as an event.
            if (ctx.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true && !ctx.RequestAborted.IsCancellationRequested)
            {
                try
                {
                    var sse = new Streaming.SseWriter(ctx.Response, ctx.RequestAborted);
                    await sse.SendErrorAsync(e.Message, e.Type, e.Code);
                    await sse.DoneAsync();
                }
                catch (Exception) when (ctx.RequestAborted.IsCancellationRequested) { }
            }
            return e.Status;
        }
        await ErrorWriter.WriteAsync(ctx, e, e.Status is 429 or 503 ? state.Options.RetryAfterSeconds : null);
        return e.Status;
    }
}
