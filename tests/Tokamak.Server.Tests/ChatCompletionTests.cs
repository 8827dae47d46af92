using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tokamak.Engine.Sampling;

namespace Tokamak.Server.Tests;

/// <summary>Chat completions through the official OpenAI client; greedy outputs must equal the generator's.</summary>
public sealed class ChatCompletionTests(ChatServerFixture f) : IClassFixture<ChatServerFixture>
{
    private static JsonArray Messages(string user) =>
    [
        new JsonObject { ["role"] = "system", ["content"] = "You tell short stories." },
        new JsonObject { ["role"] = "user", ["content"] = user },
    ];

    [Fact]
    public async Task NonStreaming_greedy_equals_direct_generation()
    {
        var expected = f.Generate(f.ChatPromptIds(Messages("Tell me about a cat.")), new SamplingParams { Temperature = 0, MaxTokens = 24 });

        ChatCompletion result = await f.Server.Chat().CompleteChatAsync(
            [new SystemChatMessage("You tell short stories."), new UserChatMessage("Tell me about a cat.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });

        Assert.Equal(expected.Text, result.Content[0].Text);
        Assert.Equal(expected.FinishReason == "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length, result.FinishReason);
        Assert.Equal(expected.PromptIds.Length, result.Usage.InputTokenCount);
        Assert.Equal(expected.Ids.Length, result.Usage.OutputTokenCount);
        Assert.Equal(ChatMessageRole.Assistant, result.Role);
    }

    [Fact]
    public async Task Streaming_greedy_equals_direct_generation_and_reports_usage()
    {
        var expected = f.Generate(f.ChatPromptIds(Messages("Once there was a dog.")), new SamplingParams { Temperature = 0, MaxTokens = 30 });

        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        ChatMessageRole? role = null;
        await foreach (var u in f.Server.Chat().CompleteChatStreamingAsync(
            [new SystemChatMessage("You tell short stories."), new UserChatMessage("Once there was a dog.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 30 }))
        {
            role ??= u.Role;
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }

        Assert.Equal(expected.Text, text.ToString());
        Assert.Equal(ChatMessageRole.Assistant, role);
        Assert.Equal(expected.FinishReason == "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(expected.PromptIds.Length, usage!.InputTokenCount);
        Assert.Equal(expected.Ids.Length, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Logprobs_match_the_generator()
    {
        var p = new SamplingParams { Temperature = 0, MaxTokens = 8, Logprobs = true, TopLogprobs = 3 };
        var expected = f.Generate(f.ChatPromptIds(Messages("A bird sang.")), p);

        ChatCompletion result = await f.Server.Chat().CompleteChatAsync(
            [new SystemChatMessage("You tell short stories."), new UserChatMessage("A bird sang.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 });

        var lps = result.ContentTokenLogProbabilities;
        Assert.Equal(expected.Ids.Length, lps.Count);
        for (int i = 0; i < lps.Count; i++)
        {
            var want = expected.Logprobs![i];
            Assert.Equal(want.Logprob, lps[i].LogProbability, 4);
            Assert.Equal(f.Reference.Tokenizer.TokenBytes(want.Token), lps[i].Utf8Bytes!.Value.ToArray());
            Assert.Equal(3, lps[i].TopLogProbabilities.Count);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(want.Top[k].Logprob, lps[i].TopLogProbabilities[k].LogProbability, 4);
                Assert.Equal(f.Reference.Tokenizer.TokenBytes(want.Top[k].Token), lps[i].TopLogProbabilities[k].Utf8Bytes!.Value.ToArray());
            }
            // greedy: the chosen token is the most likely one
            Assert.Equal(lps[i].TopLogProbabilities[0].LogProbability, lps[i].LogProbability, 5);
        }
    }

    [Fact]
    public async Task Stop_sequence_truncates_before_it()
    {
        var full = f.Generate(f.ChatPromptIds(Messages("The sun was hot.")), new SamplingParams { Temperature = 0, MaxTokens = 40 });
        Assert.True(full.Text.Length > 12, $"the reference output is too short to cut: '{full.Text}'");
        string stop = full.Text.Substring(full.Text.Length / 2, 3);
        string want = full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)];

        ChatCompletion result = await f.Server.Chat().CompleteChatAsync(
            [new SystemChatMessage("You tell short stories."), new UserChatMessage("The sun was hot.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40, StopSequences = { stop } });

        Assert.Equal(want, result.Content.Count == 0 ? "" : result.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, result.FinishReason);
    }

    [Fact]
    public async Task N3_with_seed_gives_choices_seeded_seed_plus_index()
    {
        var ids = f.ChatPromptIds(Messages("Sing a song."));
        var body = new JsonObject
        {
            ["model"] = f.Server.ModelName,
            ["messages"] = Messages("Sing a song."),
            ["n"] = 3,
            ["seed"] = 1234,
            ["temperature"] = 0.9,
            ["max_tokens"] = 16,
        };
        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/chat/completions", body);
        var choices = json["choices"]!.AsArray();
        Assert.Equal(3, choices.Count);
        for (int i = 0; i < 3; i++)
        {
            var want = f.Generate(ids, new SamplingParams { Temperature = 0.9f, MaxTokens = 16, Seed = 1234UL + (ulong)i });
            Assert.Equal(i, (int)choices[i]!["index"]!);
            Assert.Equal(want.Text, (string?)choices[i]!["message"]!["content"]);
        }
        Assert.Equal(ids.Length, (int)json["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task Trailing_assistant_message_is_continued()
    {
        // The ChatML prompt that continues the assistant's turn, written out by hand: no <|im_end|>, no new header.
        string prompt = "<|start_story|><|im_start|>user\nTell a story.<|im_end|>\n<|im_start|>assistant\nOnce upon a time";
        var want = f.Generate(f.Reference.Tokenizer.Encode(prompt, addSpecialTokens: false), new SamplingParams { Temperature = 0, MaxTokens = 20 });

        ChatCompletion result = await f.Server.Chat().CompleteChatAsync(
            [new UserChatMessage("Tell a story."), new AssistantChatMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 20 });

        Assert.Equal(want.Text, result.Content[0].Text);
        Assert.Equal(want.PromptIds.Length, result.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Raw_stream_has_role_first_finish_last_usage_chunk_and_done()
    {
        var body = new JsonObject
        {
            ["model"] = f.Server.ModelName,
            ["messages"] = Messages("Hi."),
            ["max_tokens"] = 10,
            ["temperature"] = 0,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        var events = await Raw.StreamAsync(f.Server.Http, "/v1/chat/completions", body);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.All(chunks, c => Assert.Equal(chunks[0]["id"]!.ToString(), c["id"]!.ToString()));
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        var expected = f.Generate(f.ChatPromptIds(Messages("Hi.")), new SamplingParams { Temperature = 0, MaxTokens = 10 });
        Assert.Equal(expected.Ids.Length, (int)usageChunk["usage"]!["completion_tokens"]!);
        Assert.Equal(expected.PromptIds.Length, (int)usageChunk["usage"]!["prompt_tokens"]!);
        string streamed = string.Concat(chunks[1..^1].Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));
        Assert.Equal(expected.Text, streamed);
        var finishChunk = chunks[^2];
        Assert.NotNull(finishChunk["choices"]![0]!["finish_reason"]);
        Assert.All(chunks[..^2], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.All(chunks[..^1], c => Assert.True(c.ContainsKey("usage") && c["usage"] is null));
    }

    [Fact]
    public async Task Models_lists_the_served_name_and_unknown_model_is_404()
    {
        var models = JsonNode.Parse(await f.Server.Http.GetStringAsync("/v1/models"))!;
        Assert.Equal("test-model", (string?)models["data"]![0]!["id"]);

        var (status, error) = await Raw.PostErrorAsync(f.Server.Http, "/v1/chat/completions",
            """{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(404, status);
        Assert.Equal("model", (string?)error["param"]);
        Assert.Equal("model_not_found", (string?)error["code"]);
    }
}
