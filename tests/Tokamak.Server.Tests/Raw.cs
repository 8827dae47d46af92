using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tokamak.Server.Tests;

/// <summary>Plain HttpClient calls for what the OpenAI package does not cover (legacy completions, errors, raw SSE).</summary>
internal static class Raw
{
    public static HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");

    public static async Task<JsonNode> PostJsonAsync(HttpClient http, string path, JsonNode body)
    {
        using var resp = await http.PostAsync(path, Json(body.ToJsonString()));
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, $"{(int)resp.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Status and the <c>error</c> object of a failed call (asserting the OpenAI error shape).</summary>
    public static async Task<(int Status, JsonObject Error)> PostErrorAsync(HttpClient http, string path, string body, AuthenticationHeaderValue? auth = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        if (auth is not null) req.Headers.Authorization = auth;
        req.Headers.ExpectContinue = true; // lets the server refuse an oversized body before it is sent
        using var resp = await http.SendAsync(req);
        string text = await resp.Content.ReadAsStringAsync();
        Assert.False(resp.IsSuccessStatusCode, $"expected a failure, got {(int)resp.StatusCode}: {text}");
        Assert.Equal("application/json", resp.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(text)!["error"]!.AsObject();
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        Assert.False(string.IsNullOrEmpty((string?)error["type"]));
        Assert.True(error.ContainsKey("param") && error.ContainsKey("code"));
        Assert.DoesNotContain("   at ", (string)error["message"]!); // no stack traces
        Assert.DoesNotContain("Exception", (string)error["message"]!);
        return ((int)resp.StatusCode, error);
    }

    /// <summary>The <c>data:</c> payloads of an SSE response, in order.</summary>
    public static async Task<List<string>> StreamAsync(HttpClient http, string path, JsonNode body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body.ToJsonString()) };
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(resp.IsSuccessStatusCode, $"{(int)resp.StatusCode}: {await resp.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType?.MediaType);
        string all = await resp.Content.ReadAsStringAsync();
        var events = new List<string>();
        foreach (var block in all.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block);
            events.Add(block["data: ".Length..]);
        }
        return events;
    }
}
