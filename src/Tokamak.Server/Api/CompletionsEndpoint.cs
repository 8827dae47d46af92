using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Engine.Sampling;
using Tokamak.Server.Backend;
using Tokamak.Server.Hosting;
using Tokamak.Server.Streaming;

namespace Tokamak.Server.Api;

/// <summary><c>POST /v1/completions</c>: text completion of one prompt or a batch (strings or token ids).</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext ctx, ServerState state)
    {
        var record = RequestRecord.Of(ctx);
        var r = await RequestReader.ReadAsync(ctx);
        state.CheckModel(r.String("model"));
        var prompts = ReadPrompts(r, state);
        if (r.Raw("suffix") is { } sfx && !(sfx.GetValueKind() == JsonValueKind.String && sfx.GetValue<string>().Length == 0))
            throw ApiException.BadRequest("'suffix' (fill-in-the-middle) is not supported", "suffix");
        bool echo = r.Bool("echo") ?? false;
        r.Int("best_of", 1, 1); // only the default is supported; anything else is rejected by the range
        foreach (var p in prompts) state.CheckPromptLength(p.Length, "prompt");
        int longest = prompts.Max(p => p.Length);
        var sr = SamplingRequest.Parse(r, chat: false, longest, state.Backend.ContextLength, state.Options.MaxN);
        bool maxGiven = r.Has("max_tokens");
        if (echo && sr.Sampling.Logprobs) throw ApiException.BadRequest("'echo' together with 'logprobs' is not supported", "echo");

        using var lease = state.Admit();
        string id = "cmpl-" + record.Id;
        var requests = prompts.Select((ids, i) => new GenerationRequest
        {
            Id = $"{record.Id}-{i}",
            PromptIds = ids,
            Sampling = maxGiven ? sr.Sampling : sr.Sampling with { MaxTokens = state.Backend.ContextLength - ids.Length },
            N = sr.N,
            BeamSearch = sr.BeamSearch,
            Priority = sr.Priority,
            CacheSalt = sr.CacheSalt,
        }).ToList();

        if (sr.Stream) await StreamAsync(ctx, state, record, id, requests, sr, echo);
        else await RespondAsync(ctx, state, record, id, requests, sr, echo);
    }

    private static List<int[]> ReadPrompts(RequestReader r, ServerState state)
    {
        var node = r.Raw("prompt") ?? throw ApiException.BadRequest("'prompt' is required", "prompt");
        var tok = state.Backend.Tokenizer;
        int vocab = tok.VocabSize - 1;
        if (node.GetValueKind() == JsonValueKind.String) return [tok.Encode(node.GetValue<string>(), addSpecialTokens: true)];
        if (node is not JsonArray a) throw RequestReader.TypeError("prompt", "a string, an array of strings, token ids, or an array of token-id arrays", node);
        if (a.Count == 0) throw ApiException.BadRequest("'prompt' is empty", "prompt");
        if (a.All(x => x?.GetValueKind() == JsonValueKind.Number)) return [RequestReader.IntsOf(a, "prompt", 0, vocab)];
        var list = new List<int[]>();
        foreach (var item in a)
        {
            if (item?.GetValueKind() == JsonValueKind.String) list.Add(tok.Encode(item.GetValue<string>(), addSpecialTokens: true));
            else if (item is JsonArray ids) list.Add(RequestReader.IntsOf(ids, "prompt", 0, vocab));
            else throw ApiException.BadRequest("'prompt' must be a string, an array of strings, token ids, or an array of token-id arrays", "prompt");
        }
        return list;
    }

    private sealed class Choice
    {
        public readonly System.Text.StringBuilder Text = new();
        public readonly List<TokenLogprobs> Logprobs = [];
        public string? Finish;
    }

    private static async Task RespondAsync(HttpContext ctx, ServerState state, RequestRecord record, string id, List<GenerationRequest> requests, SamplingRequest sr, bool echo)
    {
        var choices = new List<Choice>();
        int prompt = 0, completion = 0, cached = 0;
        foreach (var req in requests)
        {
            var mine = Enumerable.Range(0, req.N).Select(_ => new Choice()).ToArray();
            if (echo) foreach (var c in mine) c.Text.Append(state.Backend.Tokenizer.Decode(req.PromptIds.ToArray(), skipSpecialTokens: true));
            var usage = await GenerationLoop.RunAsync(state, record, req, e =>
            {
                switch (e)
                {
                    case TokenEvent t:
                        mine[t.Choice].Text.Append(t.Text);
                        if (t.Logprobs is not null) mine[t.Choice].Logprobs.Add(t.Logprobs);
                        break;
                    case FinishEvent f:
                        mine[f.Choice].Finish = f.FinishReason;
                        break;
                }
                return ValueTask.CompletedTask;
            }, ctx.RequestAborted);
            choices.AddRange(mine);
            prompt += usage.PromptTokens;
            completion += usage.CompletionTokens;
            cached += usage.CachedTokens;
        }

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "text_completion");
            w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteString("model", state.ModelName);
            w.WriteStartArray("choices");
            for (int i = 0; i < choices.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteString("text", choices[i].Text.ToString());
                if (sr.Sampling.Logprobs) LogprobsJson.WriteCompletion(w, "logprobs", choices[i].Logprobs, state.Backend.Tokenizer, 0, sr.Sampling.TopLogprobs > 0);
                else w.WriteNull("logprobs");
                w.WriteString("finish_reason", choices[i].Finish ?? "stop");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            GenerationLoop.WriteUsage(w, prompt, completion, cached);
            w.WriteEndObject();
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext ctx, ServerState state, RequestRecord record, string id, List<GenerationRequest> requests, SamplingRequest sr, bool echo)
    {
        var sse = new SseWriter(ctx.Response, ctx.RequestAborted);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tok = state.Backend.Tokenizer;
        await sse.StartAsync();

        Task Chunk(int index, string text, TokenLogprobs? lp, int offset, string? finish) => sse.SendAsync(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "text_completion");
            w.WriteNumber("created", created);
            w.WriteString("model", state.ModelName);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteString("text", text);
            if (lp is not null) LogprobsJson.WriteCompletion(w, "logprobs", [lp], tok, offset, sr.Sampling.TopLogprobs > 0);
            else w.WriteNull("logprobs");
            if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
            w.WriteEndObject();
            w.WriteEndArray();
            if (sr.IncludeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        });

        int prompt = 0, completion = 0, cached = 0, baseIndex = 0;
        foreach (var req in requests)
        {
            var offsets = new int[req.N];
            if (echo)
            {
                string echoed = tok.Decode(req.PromptIds.ToArray(), skipSpecialTokens: true);
                for (int c = 0; c < req.N; c++) await Chunk(baseIndex + c, echoed, null, 0, null);
            }
            int bi = baseIndex;
            var usage = await GenerationLoop.RunAsync(state, record, req, async e =>
            {
                switch (e)
                {
                    case TokenEvent t when t.Text.Length > 0 || t.Logprobs is not null:
                        await Chunk(bi + t.Choice, t.Text, t.Logprobs, offsets[t.Choice], null);
                        offsets[t.Choice] += t.Text.Length;
                        break;
                    case FinishEvent f:
                        await Chunk(bi + f.Choice, "", null, 0, f.FinishReason);
                        break;
                }
            }, ctx.RequestAborted);
            baseIndex += req.N;
            prompt += usage.PromptTokens;
            completion += usage.CompletionTokens;
            cached += usage.CachedTokens;
        }
        if (sr.IncludeUsage)
            await sse.SendAsync(w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "text_completion");
                w.WriteNumber("created", created);
                w.WriteString("model", state.ModelName);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                GenerationLoop.WriteUsage(w, prompt, completion, cached);
                w.WriteEndObject();
            });
        await sse.DoneAsync();
    }
}
