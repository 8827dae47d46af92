using System.Text;
using System.Text.Json;
using Tokamak.Engine.Sampling;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Server.Api;

/// <summary>Writes token log-probabilities in the chat (<c>content: [...]</c>) and legacy completions shapes.</summary>
internal static class LogprobsJson
{
    /// <summary>A token's text as the client sees it (its UTF-8 bytes decoded; partial characters become U+FFFD).</summary>
    public static string TokenText(Tokenizer tok, int id, out byte[] bytes)
    {
        bytes = tok.TokenBytes(id);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary><c>{"content": [{token, logprob, bytes, top_logprobs: [...]}, ...]}</c>.</summary>
    public static void WriteChat(Utf8JsonWriter w, string property, IReadOnlyList<TokenLogprobs> items, Tokenizer tok)
    {
        w.WriteStartObject(property);
        w.WriteStartArray("content");
        foreach (var lp in items)
        {
            w.WriteStartObject();
            WriteChatEntry(w, tok, lp.Token, lp.Logprob);
            w.WriteStartArray("top_logprobs");
            foreach (var (id, l) in lp.Top)
            {
                w.WriteStartObject();
                WriteChatEntry(w, tok, id, l);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteChatEntry(Utf8JsonWriter w, Tokenizer tok, int id, float logprob)
    {
        string text = TokenText(tok, id, out var bytes);
        w.WriteString("token", text);
        w.WriteNumber("logprob", Finite(logprob));
        w.WriteStartArray("bytes");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    /// <summary><c>{"tokens", "token_logprobs", "top_logprobs", "text_offset"}</c>; offsets start at <paramref name="offset"/>.</summary>
    public static void WriteCompletion(Utf8JsonWriter w, string property, IReadOnlyList<TokenLogprobs> items, Tokenizer tok, int offset, bool withTop)
    {
        var texts = items.Select(lp => TokenText(tok, lp.Token, out _)).ToArray();
        w.WriteStartObject(property);
        w.WriteStartArray("tokens");
        foreach (var t in texts) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var lp in items) w.WriteNumberValue(Finite(lp.Logprob));
        w.WriteEndArray();
        if (withTop)
        {
            w.WriteStartArray("top_logprobs");
            foreach (var lp in items)
            {
                w.WriteStartObject();
                foreach (var (id, l) in lp.Top)
                {
                    string key = TokenText(tok, id, out _);
                    w.WriteNumber(key, Finite(l)); // duplicate keys (two ids with one text) are possible, as in vLLM
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        else w.WriteNull("top_logprobs");
        w.WriteStartArray("text_offset");
        int pos = offset;
        foreach (var t in texts)
        {
            w.WriteNumberValue(pos);
            pos += t.Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // -inf (a token masked by min_tokens etc.) is not valid JSON; OpenAI clients expect a number.
    private static double Finite(float v) => float.IsNegativeInfinity(v) ? -9999.0 : v;
}
