using Tokamak.Server.Backend;
using Tokamak.Server.Hosting;

namespace Tokamak.Server.Api;

/// <summary>Runs one backend request, recording TTFT, inter-token latency and usage for logs and metrics.</summary>
internal static class GenerationLoop
{
    public static async Task<UsageEvent> RunAsync(ServerState state, RequestRecord record, GenerationRequest request,
        Func<GenerationEvent, ValueTask> onEvent, CancellationToken ct)
    {
        UsageEvent? usage = null;
        int tokensBefore = record.CompletionTokens;
        try
        {
            await foreach (var e in state.Backend.GenerateAsync(request, ct).WithCancellation(ct))
            {
                switch (e)
                {
                    case TokenEvent t when t.TokenId >= 0:
                        if (record.TokenArrived() is double gap) state.Metrics.InterTokenLatency.Observe(gap);
                        else state.Metrics.TimeToFirstToken.Observe(record.TtftSeconds!.Value);
                        break;
                    case FinishEvent f:
                        record.FinishReason = f.FinishReason;
                        break;
                    case UsageEvent u:
                        usage = u;
                        break;
                }
                await onEvent(e);
            }
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, SamplingRequest.ParamOf(e.Message));
        }
        catch (NotSupportedException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
        if (usage is null) throw new InvalidOperationException("the backend ended a request without reporting usage");
        record.PromptTokens += usage.PromptTokens;
        record.CompletionTokens = tokensBefore + usage.CompletionTokens; // the backend's count is authoritative
        state.Metrics.AddTokens(usage.PromptTokens, usage.CompletionTokens);
        return usage;
    }

    public static void WriteUsage(System.Text.Json.Utf8JsonWriter w, int prompt, int completion, int cached)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", cached);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
