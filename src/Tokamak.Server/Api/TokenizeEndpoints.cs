using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Server.Hosting;

namespace Tokamak.Server.Api;

/// <summary>vLLM's <c>POST /tokenize</c> (text or chat messages → ids) and <c>POST /detokenize</c> (ids → text).</summary>
internal static class TokenizeEndpoints
{
    public static async Task TokenizeAsync(HttpContext ctx, ServerState state)
    {
        var r = await RequestReader.ReadAsync(ctx);
        state.CheckModel(r.String("model"));
        var tok = state.Backend.Tokenizer;
        int[] ids;
        if (r.Has("messages"))
        {
            var template = state.Backend.ChatTemplate ?? throw ApiException.BadRequest($"the model '{state.ModelName}' has no chat template", "messages");
            var messages = ChatPrompt.ReadMessages(r);
            var tools = ChatPrompt.ReadTools(r);
            bool cont = r.Bool("continue_final_message") ?? false;
            bool addGen = r.Bool("add_generation_prompt") ?? !cont;
            string text = ChatPrompt.Render(template, messages, tools, cont, addGen, null);
            ids = tok.Encode(text, addSpecialTokens: r.Bool("add_special_tokens") ?? false);
        }
        else
        {
            string prompt = r.String("prompt") ?? throw ApiException.BadRequest("'prompt' or 'messages' is required", "prompt");
            ids = tok.Encode(prompt, addSpecialTokens: r.Bool("add_special_tokens") ?? true);
        }
        bool strs = r.Bool("return_token_strs") ?? false;
        await WriteAsync(ctx, w =>
        {
            w.WriteNumber("count", ids.Length);
            w.WriteNumber("max_model_len", state.Backend.ContextLength);
            w.WriteStartArray("tokens");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            if (strs)
            {
                w.WriteStartArray("token_strs");
                foreach (int id in ids) w.WriteStringValue(tok.TokenToPiece(id));
                w.WriteEndArray();
            }
        });
    }

    public static async Task DetokenizeAsync(HttpContext ctx, ServerState state)
    {
        var r = await RequestReader.ReadAsync(ctx);
        state.CheckModel(r.String("model"));
        var ids = r.Ints("tokens", 0, state.Backend.Tokenizer.VocabSize - 1) ?? throw ApiException.BadRequest("'tokens' is required", "tokens");
        string text = state.Backend.Tokenizer.Decode(ids.ToArray(), skipSpecialTokens: r.Bool("skip_special_tokens") ?? false);
        await WriteAsync(ctx, w => w.WriteString("prompt", text));
    }

    public static Task ModelsAsync(HttpContext ctx, ServerState state) => WriteAsync(ctx, w =>
    {
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteStartObject();
        WriteModel(w, state);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    public static Task ModelAsync(HttpContext ctx, ServerState state, string model)
    {
        state.CheckModel(model);
        return WriteAsync(ctx, w => WriteModel(w, state));
    }

    private static void WriteModel(Utf8JsonWriter w, ServerState state)
    {
        w.WriteString("id", state.ModelName);
        w.WriteString("object", "model");
        w.WriteNumber("created", state.Created);
        w.WriteString("owned_by", "tokamak");
        w.WriteNumber("max_model_len", state.Backend.ContextLength);
    }

    internal static async Task WriteAsync(HttpContext ctx, Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }
}
