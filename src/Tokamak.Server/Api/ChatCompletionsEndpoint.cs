using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Engine.Sampling;
using Tokamak.Server.Backend;
using Tokamak.Server.Hosting;
using Tokamak.Server.Streaming;
using Tokamak.Server.Tools;

namespace Tokamak.Server.Api;

/// <summary><c>POST /v1/chat/completions</c>: messages rendered through the chat template, tool calls parsed from the output.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext ctx, ServerState state)
    {
        var record = RequestRecord.Of(ctx);
        var r = await RequestReader.ReadAsync(ctx);
        state.CheckModel(r.String("model"));
        var template = state.Backend.ChatTemplate
            ?? throw ApiException.BadRequest($"the model '{state.ModelName}' has no chat template; use /v1/completions", "messages");
        var messages = ChatPrompt.ReadMessages(r);
        var tools = ChatPrompt.ReadTools(r);
        bool parseTools = tools is not null && ReadToolChoice(r) && state.ToolParser is not null;
        string lastRole = messages[^1]!["role"]!.GetValue<string>();
        bool continueFinal = r.Bool("continue_final_message") ?? lastRole == "assistant";
        if (continueFinal && lastRole != "assistant")
            throw ApiException.BadRequest("'continue_final_message' needs the last message to be from the assistant", "continue_final_message");
        bool addGen = r.Bool("add_generation_prompt") ?? !continueFinal;
        if (continueFinal && addGen) throw ApiException.BadRequest("'add_generation_prompt' and 'continue_final_message' cannot both be true", "add_generation_prompt");
        Dictionary<string, JsonNode?>? extra = null;
        if (r.Object("chat_template_kwargs") is { } kw)
        {
            extra = [];
            foreach (var (k, v) in kw)
                if (k is not "messages" and not "tools" and not "documents" and not "add_generation_prompt") extra[k] = v?.DeepClone();
        }

        string promptText = ChatPrompt.Render(template, messages, tools, continueFinal, addGen, extra);
        int[] promptIds = state.Backend.Tokenizer.Encode(promptText, addSpecialTokens: false);
        state.CheckPromptLength(promptIds.Length, "messages");
        var sr = SamplingRequest.Parse(r, chat: true, promptIds.Length, state.Backend.ContextLength, state.Options.MaxN);

        using var lease = state.Admit();
        var request = new GenerationRequest
        {
            Id = record.Id,
            PromptIds = promptIds,
            Sampling = sr.Sampling,
            N = sr.N,
            BeamSearch = sr.BeamSearch,
            Priority = sr.Priority,
            CacheSalt = sr.CacheSalt,
        };
        string id = "chatcmpl-" + record.Id;
        var parser = parseTools ? state.ToolParser : null;
        if (sr.Stream) await StreamAsync(ctx, state, record, id, request, sr, parser);
        else await RespondAsync(ctx, state, record, id, request, sr, parser);
    }

    /// <summary>False for <c>"none"</c>; true for <c>"auto"</c>. Forcing a call needs guided decoding, which is refused.</summary>
    private static bool ReadToolChoice(RequestReader r)
    {
        var n = r.Raw("tool_choice");
        if (n is null) return true;
        if (n.GetValueKind() == JsonValueKind.String)
        {
            switch (n.GetValue<string>())
            {
                case "none": return false;
                case "auto": return true;
                case "required":
                    throw ApiException.BadRequest("tool_choice 'required' needs guided decoding, which this server does not support; use 'auto'", "tool_choice");
                default:
                    throw ApiException.BadRequest("'tool_choice' must be 'none', 'auto', 'required' or a function object", "tool_choice");
            }
        }
        if (n is JsonObject)
            throw ApiException.BadRequest("forcing a named tool needs guided decoding, which this server does not support; use 'auto'", "tool_choice");
        throw RequestReader.TypeError("tool_choice", "a string or an object", n);
    }

    private static string NewCallId() => "call_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private sealed class Choice(IToolCallStream? tools)
    {
        public readonly StringBuilder Content = new();
        public readonly List<(string Id, ToolCallItem Call)> Calls = [];
        public readonly List<TokenLogprobs> Logprobs = [];
        public readonly IToolCallStream? Tools = tools;
        public readonly List<ToolStreamItem> Scratch = [];
        public string? Finish;

        /// <summary>Feeds generated text through the tool parser (if any); returns the items released.</summary>
        public List<ToolStreamItem> Take(string text, bool final)
        {
            Scratch.Clear();
            if (Tools is null)
            {
                if (text.Length > 0) Scratch.Add(new ContentItem(text));
                return Scratch;
            }
            if (text.Length > 0) Tools.Push(text, Scratch);
            if (final) Tools.Flush(Scratch);
            return Scratch;
        }

        public string FinishReason => Finish == "stop" && Calls.Count > 0 ? "tool_calls" : Finish ?? "stop";
    }

    private static async Task RespondAsync(HttpContext ctx, ServerState state, RequestRecord record, string id, GenerationRequest request, SamplingRequest sr, IToolCallParser? parser)
    {
        var choices = Enumerable.Range(0, request.N).Select(_ => new Choice(parser?.Start())).ToArray();
        void Absorb(Choice c, List<ToolStreamItem> items)
        {
            foreach (var item in items)
                if (item is ContentItem ci) c.Content.Append(ci.Text);
                else if (item is ToolCallItem call) c.Calls.Add((NewCallId(), call));
        }
        var usage = await GenerationLoop.RunAsync(state, record, request, e =>
        {
            switch (e)
            {
                case TokenEvent t:
                    var c = choices[t.Choice];
                    if (t.Logprobs is not null) c.Logprobs.Add(t.Logprobs);
                    Absorb(c, c.Take(t.Text, false));
                    break;
                case FinishEvent f:
                    choices[f.Choice].Finish = f.FinishReason;
                    Absorb(choices[f.Choice], choices[f.Choice].Take("", true));
                    break;
            }
            return ValueTask.CompletedTask;
        }, ctx.RequestAborted);
        if (choices.Any(c => c.Calls.Count > 0)) record.FinishReason = "tool_calls";

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion");
            w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteString("model", state.ModelName);
            w.WriteStartArray("choices");
            for (int i = 0; i < choices.Length; i++)
            {
                var c = choices[i];
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                if (c.Calls.Count > 0 && c.Content.Length == 0) w.WriteNull("content");
                else w.WriteString("content", c.Content.ToString());
                if (c.Calls.Count > 0)
                {
                    w.WriteStartArray("tool_calls");
                    foreach (var (callId, call) in c.Calls)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", callId);
                        w.WriteString("type", "function");
                        w.WriteStartObject("function");
                        w.WriteString("name", call.Name);
                        w.WriteString("arguments", call.ArgumentsJson);
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                if (sr.Sampling.Logprobs) LogprobsJson.WriteChat(w, "logprobs", c.Logprobs, state.Backend.Tokenizer);
                else w.WriteNull("logprobs");
                w.WriteString("finish_reason", c.FinishReason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            GenerationLoop.WriteUsage(w, usage.PromptTokens, usage.CompletionTokens, usage.CachedTokens);
            w.WriteEndObject();
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext ctx, ServerState state, RequestRecord record, string id, GenerationRequest request, SamplingRequest sr, IToolCallParser? parser)
    {
        var sse = new SseWriter(ctx.Response, ctx.RequestAborted);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tok = state.Backend.Tokenizer;
        var choices = Enumerable.Range(0, request.N).Select(_ => new Choice(parser?.Start())).ToArray();
        await sse.StartAsync();

        Task Chunk(int index, Action<Utf8JsonWriter> delta, TokenLogprobs? lp, string? finish) => sse.SendAsync(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", created);
            w.WriteString("model", state.ModelName);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            if (lp is not null) LogprobsJson.WriteChat(w, "logprobs", [lp], tok);
            else w.WriteNull("logprobs");
            if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
            w.WriteEndObject();
            w.WriteEndArray();
            if (sr.IncludeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        });

        async Task Emit(int index, List<ToolStreamItem> items, TokenLogprobs? lp)
        {
            var c = choices[index];
            foreach (var item in items)
            {
                if (item is ContentItem ci)
                {
                    await Chunk(index, w => w.WriteString("content", ci.Text), lp, null);
                }
                else if (item is ToolCallItem call)
                {
                    string callId = NewCallId();
                    int k = c.Calls.Count;
                    c.Calls.Add((callId, call));
                    await Chunk(index, w =>
                    {
                        w.WriteStartArray("tool_calls");
                        w.WriteStartObject();
                        w.WriteNumber("index", k);
                        w.WriteString("id", callId);
                        w.WriteString("type", "function");
                        w.WriteStartObject("function");
                        w.WriteString("name", call.Name);
                        w.WriteString("arguments", call.ArgumentsJson);
                        w.WriteEndObject();
                        w.WriteEndObject();
                        w.WriteEndArray();
                    }, lp, null);
                }
                lp = null; // a token's logprobs go out once, with the first piece it released
            }
            if (lp is not null) await Chunk(index, w => w.WriteString("content", ""), lp, null);
        }

        for (int i = 0; i < request.N; i++)
            await Chunk(i, w => { w.WriteString("role", "assistant"); w.WriteString("content", ""); }, null, null);

        var usage = await GenerationLoop.RunAsync(state, record, request, async e =>
        {
            switch (e)
            {
                case TokenEvent t:
                    await Emit(t.Choice, choices[t.Choice].Take(t.Text, false), t.Logprobs);
                    break;
                case FinishEvent f:
                    var c = choices[f.Choice];
                    c.Finish = f.FinishReason;
                    await Emit(f.Choice, c.Take("", true), null);
                    await Chunk(f.Choice, _ => { }, null, c.FinishReason);
                    break;
            }
        }, ctx.RequestAborted);
        if (choices.Any(c => c.Calls.Count > 0)) record.FinishReason = "tool_calls";

        if (sr.IncludeUsage)
            await sse.SendAsync(w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "chat.completion.chunk");
                w.WriteNumber("created", created);
                w.WriteString("model", state.ModelName);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                GenerationLoop.WriteUsage(w, usage.PromptTokens, usage.CompletionTokens, usage.CachedTokens);
                w.WriteEndObject();
            });
        await sse.DoneAsync();
    }
}
