using System.Net.Http.Headers;

namespace Tokamak.Server.Tests;

/// <summary>Bad requests get the right status and OpenAI error JSON naming the field; the server stays healthy.</summary>
public sealed class ErrorTests(ChatServerFixture f) : IClassFixture<ChatServerFixture>
{
    private Task<(int Status, System.Text.Json.Nodes.JsonObject Error)> Post(string path, string body, AuthenticationHeaderValue? auth = null) =>
        Raw.PostErrorAsync(f.Server.Http, path, body, auth);

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var (status, error) = await Post("/v1/chat/completions", """{"model":"test-model","messages":[{"role":"user","content":"hi"}""");
        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Contains("JSON", (string?)error["message"]);
    }

    [Fact]
    public async Task Wrong_field_type_is_400_naming_the_field()
    {
        var (status, error) = await Post("/v1/chat/completions", """{"model":"test-model","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""");
        Assert.Equal(400, status);
        Assert.Equal("temperature", (string?)error["param"]);

        (status, error) = await Post("/v1/completions", """{"model":"test-model","prompt":"hi","stream":"yes"}""");
        Assert.Equal(400, status);
        Assert.Equal("stream", (string?)error["param"]);

        (status, error) = await Post("/v1/chat/completions", """{"model":"test-model","messages":"hi"}""");
        Assert.Equal(400, status);
        Assert.Equal("messages", (string?)error["param"]);
    }

    [Fact]
    public async Task Negative_max_tokens_is_400()
    {
        var (status, error) = await Post("/v1/completions", """{"model":"test-model","prompt":"hi","max_tokens":-5}""");
        Assert.Equal(400, status);
        Assert.Equal("max_tokens", (string?)error["param"]);
    }

    [Fact]
    public async Task N_1000_is_400()
    {
        var (status, error) = await Post("/v1/chat/completions", """{"model":"test-model","messages":[{"role":"user","content":"hi"}],"n":1000}""");
        Assert.Equal(400, status);
        Assert.Equal("n", (string?)error["param"]);
    }

    [Fact]
    public async Task Out_of_range_sampling_values_are_400()
    {
        foreach (var (field, value) in new[] { ("top_p", "1.5"), ("temperature", "-1"), ("top_logprobs", "50"), ("presence_penalty", "3") })
        {
            string extra = field == "top_logprobs" ? ""","logprobs":true""" : "";
            var (status, error) = await Post("/v1/chat/completions", $$"""{"model":"test-model","messages":[{"role":"user","content":"hi"}],"{{field}}":{{value}}{{extra}}}""");
            Assert.Equal(400, status);
            Assert.Equal(field, (string?)error["param"]);
        }
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/completions",
            System.Text.Json.Nodes.JsonNode.Parse("""{"model":"test-model","prompt":"hi","max_tokens":2,"some_future_field":{"x":1}}""")!);
        Assert.Equal("text_completion", (string?)json["object"]);
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        string big = new('a', (int)f.Server.Options.MaxRequestBodyBytes + 10);
        var (status, error) = await Post("/v1/completions", $$"""{"model":"test-model","prompt":"{{big}}"}""");
        Assert.Equal(413, status);
        Assert.Equal("request_too_large", (string?)error["code"]);
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_400_context_length_exceeded()
    {
        var ids = string.Join(",", Enumerable.Repeat(100, 600)); // the model's context is 512
        var (status, error) = await Post("/v1/completions", $$"""{"model":"test-model","prompt":[{{ids}}]}""");
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", (string?)error["code"]);
    }

    [Fact]
    public async Task Wrong_or_missing_api_key_is_401_but_health_is_open()
    {
        const string body = """{"model":"test-model","prompt":"hi","max_tokens":2}""";
        var (status, error) = await Post("/v1/completions", body, new AuthenticationHeaderValue("Bearer", "wrong-key"));
        Assert.Equal(401, status);
        Assert.Equal("invalid_api_key", (string?)error["code"]);

        using var anonymous = new HttpClient { BaseAddress = f.Server.BaseAddress };
        (status, _) = await Raw.PostErrorAsync(anonymous, "/v1/completions", body);
        Assert.Equal(401, status);

        using var health = await anonymous.GetAsync("/health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task Unknown_route_is_404_json()
    {
        var (status, _) = await Post("/v1/nothing-here", "{}");
        Assert.Equal(404, status);
    }
}
