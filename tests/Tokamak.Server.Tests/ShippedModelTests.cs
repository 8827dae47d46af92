using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;

namespace Tokamak.Server.Tests;

/// <summary>
/// The model Tokamak ships (models/default/tokamak-chat.gguf, made by <c>tokamak recipe default-model</c>) through the
/// real server and the official OpenAI client: greedy chat output must equal the in-process generator on the prompt
/// rendered independently with the GGUF's own chat template.
/// </summary>
public sealed class ShippedModelTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private LoadedModel _reference = null!;

    /// <summary>The repository's shipped model, found by walking up from the test binaries.</summary>
    internal static string ShippedModel
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "default", "tokamak-chat.gguf");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("models/default/tokamak-chat.gguf not found above the test binaries");
        }
    }

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(ShippedModel);
        _reference = ModelLoader.Load(ShippedModel);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _reference.Dispose();
    }

    private GenerationResult Expected(string user, int maxTokens)
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = user } };
        var ids = _reference.Tokenizer.Encode(_reference.ChatTemplate!.Render(messages, addGenerationPrompt: true), addSpecialTokens: false);
        return new Generator(_reference.Model, _reference.Tokenizer).Generate(ids, new SamplingParams { Temperature = 0, MaxTokens = maxTokens });
    }

    [Fact]
    public void ShippedGguf_CarriesAJinjaChatTemplate()
    {
        Assert.NotNull(_reference.ChatTemplate);
        string rendered = _reference.ChatTemplate!.Render([new JsonObject { ["role"] = "user", ["content"] = "Hi" }], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", rendered);
    }

    [Fact]
    public async Task NonStreamingChat_GreedyEqualsTheGenerator()
    {
        var expected = Expected("What is 3 + 4?", 16);
        ChatCompletion result = await _server.Chat().CompleteChatAsync([new UserChatMessage("What is 3 + 4?")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 });
        Assert.Equal(expected.Text, result.Content[0].Text);
        Assert.Equal(expected.FinishReason == "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length, result.FinishReason);
        Assert.Equal(expected.PromptIds.Length, result.Usage.InputTokenCount);
        // The answer ends at <|im_end|>: the server counts that end-of-turn token as generated (as vLLM does), the generator's ids omit it.
        Assert.Equal("stop", expected.FinishReason);
        Assert.Equal(expected.Ids.Length + 1, result.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task StreamingChat_GreedyEqualsTheGenerator()
    {
        var expected = Expected("Tell me a story about a fox.", 48);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var u in _server.Chat().CompleteChatStreamingAsync([new UserChatMessage("Tell me a story about a fox.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 48 }))
        {
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
        }
        Assert.Equal(expected.Text, text.ToString());
        Assert.NotEmpty(expected.Text.Trim());
        Assert.Equal(expected.FinishReason == "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length, finish);
    }
}
