using System.Text.Json.Nodes;
using Tokamak.Engine.Sampling;

namespace Tokamak.Server.Tests;

/// <summary>Legacy text completions (the OpenAI .NET package has no client for them, so raw HTTP).</summary>
public sealed class CompletionTests(ChatServerFixture f) : IClassFixture<ChatServerFixture>
{
    private JsonObject Body(JsonNode prompt, int maxTokens, bool stream = false) => new()
    {
        ["model"] = f.Server.ModelName,
        ["prompt"] = prompt,
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = stream,
    };

    [Fact]
    public async Task NonStreaming_greedy_equals_direct_generation()
    {
        const string prompt = "Once upon a time, there was a little girl";
        var want = f.Generate(f.Reference.Tokenizer.Encode(prompt), new SamplingParams { Temperature = 0, MaxTokens = 32 });

        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/completions", Body(prompt, 32));

        Assert.Equal("text_completion", (string?)json["object"]);
        Assert.Equal(want.Text, (string?)json["choices"]![0]!["text"]);
        Assert.Equal(want.FinishReason, (string?)json["choices"]![0]!["finish_reason"]);
        Assert.Equal(want.PromptIds.Length, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(want.Ids.Length, (int)json["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Streaming_greedy_equals_direct_generation_with_usage()
    {
        const string prompt = "The dog ran to the park";
        var want = f.Generate(f.Reference.Tokenizer.Encode(prompt), new SamplingParams { Temperature = 0, MaxTokens = 40 });
        var body = Body(prompt, 40, stream: true);
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        var events = await Raw.StreamAsync(f.Server.Http, "/v1/completions", body);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var textChunks = chunks.Where(c => c["choices"]!.AsArray().Count > 0).ToList();
        Assert.Equal(want.Text, string.Concat(textChunks.Select(c => (string?)c["choices"]![0]!["text"])));
        Assert.Equal(want.FinishReason, (string?)textChunks[^1]["choices"]![0]!["finish_reason"]);
        Assert.Equal(want.Ids.Length, (int)chunks[^1]["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Token_id_prompts_and_batches_give_one_choice_per_prompt()
    {
        var a = f.Reference.Tokenizer.Encode("A cat sat");
        var b = f.Reference.Tokenizer.Encode("The big red ball");
        var body = Body(new JsonArray(new JsonArray(a.Select(x => (JsonNode)x).ToArray()), new JsonArray(b.Select(x => (JsonNode)x).ToArray())), 12);

        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/completions", body);

        var choices = json["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        Assert.Equal(f.Generate(a, new SamplingParams { Temperature = 0, MaxTokens = 12 }).Text, (string?)choices[0]!["text"]);
        Assert.Equal(f.Generate(b, new SamplingParams { Temperature = 0, MaxTokens = 12 }).Text, (string?)choices[1]!["text"]);
        Assert.Equal(a.Length + b.Length, (int)json["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task Logprobs_and_stop_strings()
    {
        const string prompt = "Tom had a toy";
        var ids = f.Reference.Tokenizer.Encode(prompt);
        var full = f.Generate(ids, new SamplingParams { Temperature = 0, MaxTokens = 30, Logprobs = true, TopLogprobs = 2 });

        var body = Body(prompt, 30);
        body["logprobs"] = 2;
        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/completions", body);
        var lp = json["choices"]![0]!["logprobs"]!;
        var tokenLps = lp["token_logprobs"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal(full.Logprobs!.Select(x => (double)x.Logprob), tokenLps, (x, y) => Math.Abs(x - y) < 1e-4);
        Assert.All(lp["top_logprobs"]!.AsArray(), t => Assert.InRange(t!.AsObject().Count, 1, 2));
        Assert.Equal(0, (int)lp["text_offset"]![0]!);

        Assert.True(full.Text.Length > 10, $"the reference output is too short: '{full.Text}'");
        string stop = full.Text.Substring(full.Text.Length / 2, 2);
        var stopBody = Body(prompt, 30);
        stopBody["stop"] = new JsonArray(stop, "zzzz-never");
        var stopped = await Raw.PostJsonAsync(f.Server.Http, "/v1/completions", stopBody);
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], (string?)stopped["choices"]![0]!["text"]);
        Assert.Equal("stop", (string?)stopped["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Tokenize_and_detokenize_round_trip()
    {
        const string text = "Lily and Ben played in the garden.";
        var tok = await Raw.PostJsonAsync(f.Server.Http, "/tokenize", new JsonObject { ["prompt"] = text });
        var ids = tok["tokens"]!.AsArray().Select(x => (int)x!).ToArray();
        Assert.Equal(f.Reference.Tokenizer.Encode(text), ids);
        Assert.Equal(ids.Length, (int)tok["count"]!);

        var detok = await Raw.PostJsonAsync(f.Server.Http, "/detokenize",
            new JsonObject { ["tokens"] = new JsonArray(ids.Select(x => (JsonNode)x).ToArray()), ["skip_special_tokens"] = true });
        Assert.Equal(text, (string?)detok["prompt"]);
    }

    [Fact]
    public async Task Suffix_is_rejected_clearly()
    {
        var (status, error) = await Raw.PostErrorAsync(f.Server.Http, "/v1/completions",
            """{"model":"test-model","prompt":"a","suffix":"b","max_tokens":3}""");
        Assert.Equal(400, status);
        Assert.Equal("suffix", (string?)error["param"]);
    }
}
