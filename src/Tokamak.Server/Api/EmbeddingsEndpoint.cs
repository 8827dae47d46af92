using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Server.Hosting;

namespace Tokamak.Server.Api;

/// <summary><c>POST /v1/embeddings</c>: pooled final hidden states, L2-normalized; <c>float</c> or <c>base64</c>.</summary>
internal static class EmbeddingsEndpoint
{
    public static async Task HandleAsync(HttpContext ctx, ServerState state)
    {
        var record = RequestRecord.Of(ctx);
        var r = await RequestReader.ReadAsync(ctx);
        state.CheckModel(r.String("model"));
        if (!state.Backend.Capabilities.Embeddings) throw ApiException.BadRequest("this backend does not compute embeddings");
        var inputs = ReadInputs(r, state);
        string format = r.String("encoding_format") ?? "float";
        if (format is not "float" and not "base64") throw ApiException.BadRequest($"'encoding_format' must be 'float' or 'base64', got '{format}'", "encoding_format");
        int? dims = r.Int("dimensions", 1, int.MaxValue);
        r.String("user");
        foreach (var ids in inputs)
        {
            if (ids.Length == 0) throw ApiException.BadRequest("'input' holds an empty entry", "input");
            if (ids.Length > state.Backend.ContextLength)
                throw ApiException.BadRequest($"an input has {ids.Length} tokens, more than the model's context length {state.Backend.ContextLength}", "input", "context_length_exceeded");
        }

        using var lease = state.Admit();
        var vectors = new List<float[]>(inputs.Count);
        int tokens = 0;
        foreach (var ids in inputs)
        {
            var v = await state.Backend.EmbedAsync(ids, state.Pooling, ctx.RequestAborted);
            if (dims is int d)
            {
                if (d > v.Length) throw ApiException.BadRequest($"'dimensions' must be at most {v.Length} for this model, got {d}", "dimensions");
                v = v[..d];
            }
            Normalize(v);
            vectors.Add(v);
            tokens += ids.Length;
        }
        record.PromptTokens = tokens;
        state.Metrics.AddTokens(tokens, 0);

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (int i = 0; i < vectors.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (format == "base64")
                {
                    // little-endian float32, as OpenAI's base64 encoding
                    var bytes = new byte[vectors[i].Length * 4];
                    for (int j = 0; j < vectors[i].Length; j++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), vectors[i][j]);
                    w.WriteString("embedding", Convert.ToBase64String(bytes));
                }
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (float x in vectors[i]) w.WriteNumberValue(x);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("model", state.ModelName);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", tokens);
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ctx.RequestAborted);
    }

    /// <summary>Scales <paramref name="v"/> to unit L2 norm (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> v)
    {
        double ss = 0;
        foreach (float x in v) ss += (double)x * x;
        if (ss == 0) return;
        float inv = (float)(1 / Math.Sqrt(ss));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }

    private static List<int[]> ReadInputs(RequestReader r, ServerState state)
    {
        var node = r.Raw("input") ?? throw ApiException.BadRequest("'input' is required", "input");
        var tok = state.Backend.Tokenizer;
        int vocab = tok.VocabSize - 1;
        if (node.GetValueKind() == JsonValueKind.String) return [tok.Encode(node.GetValue<string>(), addSpecialTokens: true)];
        if (node is not JsonArray a) throw RequestReader.TypeError("input", "a string, an array of strings, token ids, or an array of token-id arrays", node);
        if (a.Count == 0) throw ApiException.BadRequest("'input' is empty", "input");
        if (a.All(x => x?.GetValueKind() == JsonValueKind.Number)) return [RequestReader.IntsOf(a, "input", 0, vocab)];
        var list = new List<int[]>();
        foreach (var item in a)
        {
            if (item?.GetValueKind() == JsonValueKind.String) list.Add(tok.Encode(item.GetValue<string>(), addSpecialTokens: true));
            else if (item is JsonArray ids) list.Add(RequestReader.IntsOf(ids, "input", 0, vocab));
            else throw ApiException.BadRequest("'input' must be a string, an array of strings, token ids, or an array of token-id arrays", "input");
        }
        return list;
    }
}
