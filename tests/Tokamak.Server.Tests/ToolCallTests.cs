using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tokamak.Models;
using Tokamak.Server.Backend;
using Tokamak.Server.Tools;

namespace Tokamak.Server.Tests;

/// <summary>Hermes-style tool calls: parser unit tests and end to end through the OpenAI client.</summary>
public sealed class ToolCallTests
{
    private static readonly string[] Reply =
    [
        "Let me ", "check.", "\n<tool", "_call>\n{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Par", "is\", \"unit\": \"C\"}}\n</tool_call>",
        "\n<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>",
    ];

    private static ChatTool Weather => ChatTool.CreateFunctionTool("get_weather", "Current weather",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}"""));

    [Fact]
    public void Parser_splits_content_and_calls_across_arbitrary_piece_boundaries()
    {
        string all = string.Concat(Reply);
        for (int cut = 1; cut < all.Length; cut += 3)
        {
            var stream = new HermesToolCallParser().Start();
            var items = new List<ToolStreamItem>();
            stream.Push(all[..cut], items);
            stream.Push(all[cut..], items);
            stream.Flush(items);
            Assert.Equal("Let me check.", string.Concat(items.OfType<ContentItem>().Select(c => c.Text)));
            var calls = items.OfType<ToolCallItem>().ToList();
            Assert.Equal(2, calls.Count);
            Assert.Equal("get_weather", calls[0].Name);
            Assert.Equal("Paris", JsonNode.Parse(calls[0].ArgumentsJson)!["city"]!.GetValue<string>());
            Assert.Equal("get_time", calls[1].Name);
            Assert.Equal("{}", calls[1].ArgumentsJson);
        }
    }

    [Fact]
    public void Parser_passes_through_text_that_only_looks_like_a_tag_and_bad_json()
    {
        var stream = new HermesToolCallParser().Start();
        var items = new List<ToolStreamItem>();
        stream.Push("a <tool is not <tool_call>{not json}</tool_call> end <tool_", items);
        stream.Flush(items);
        Assert.Empty(items.OfType<ToolCallItem>());
        Assert.Equal("a <tool is not <tool_call>{not json}</tool_call> end <tool_", string.Concat(items.OfType<ContentItem>().Select(c => c.Text)));
    }

    private static async Task<(TestServer Server, ScriptedBackend Backend, LoadedModel Model)> StartAsync()
    {
        var model = ModelLoader.Load(TestModels.TinyStoriesChat);
        var backend = new ScriptedBackend(model.Tokenizer, model.ChatTemplate!, Reply);
        return (await TestServer.StartAsync(backend: backend), backend, model);
    }

    [Fact]
    public async Task Client_receives_parsed_tool_calls_and_tools_reach_the_template()
    {
        var (server, backend, model) = await StartAsync();
        await using var _ = server;
        using var __ = model;

        var options = new ChatCompletionOptions { Tools = { Weather } };
        ChatCompletion result = await server.Chat().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, result.FinishReason);
        Assert.Equal("Let me check.", result.Content[0].Text);
        Assert.Equal(2, result.ToolCalls.Count);
        Assert.Equal("get_weather", result.ToolCalls[0].FunctionName);
        using var args = JsonDocument.Parse(result.ToolCalls[0].FunctionArguments);
        Assert.Equal("Paris", args.RootElement.GetProperty("city").GetString());
        Assert.StartsWith("call_", result.ToolCalls[0].Id);
        Assert.NotEqual(result.ToolCalls[0].Id, result.ToolCalls[1].Id);

        // The tool schema was rendered into the prompt by the template.
        string prompt = model.Tokenizer.Decode(backend.Prompts[^1]);
        Assert.Contains("get_weather", prompt);
        Assert.Contains("You may call these tools", prompt);
    }

    [Fact]
    public async Task Streaming_tool_calls_arrive_as_tool_call_deltas()
    {
        var (server, _, model) = await StartAsync();
        await using var _s = server;
        using var _m = model;

        var names = new Dictionary<int, string>();
        var argsText = new Dictionary<int, string>();
        var content = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var u in server.Chat().CompleteChatStreamingAsync([new UserChatMessage("Weather?")], new ChatCompletionOptions { Tools = { Weather } }))
        {
            foreach (var part in u.ContentUpdate) content.Append(part.Text);
            foreach (var tc in u.ToolCallUpdates)
            {
                if (tc.FunctionName is not null) names[tc.Index] = tc.FunctionName;
                argsText[tc.Index] = (argsText.GetValueOrDefault(tc.Index) ?? "") + tc.FunctionArgumentsUpdate?.ToString();
            }
            finish ??= u.FinishReason;
        }
        Assert.Equal("Let me check.", content.ToString());
        Assert.Equal("get_weather", names[0]);
        Assert.Equal("get_time", names[1]);
        Assert.Equal("C", JsonNode.Parse(argsText[0])!["unit"]!.GetValue<string>());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task Tool_results_in_history_render_and_tool_choice_none_returns_raw_text()
    {
        var (server, backend, model) = await StartAsync();
        await using var _s = server;
        using var _m = model;

        var history = new List<ChatMessage>
        {
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_1", "18 C and sunny"),
        };
        var options = new ChatCompletionOptions { Tools = { Weather }, ToolChoice = ChatToolChoice.CreateNoneChoice() };
        ChatCompletion result = await server.Chat().CompleteChatAsync(history, options);

        Assert.Equal(ChatFinishReason.Stop, result.FinishReason);
        Assert.Empty(result.ToolCalls);
        Assert.Equal(string.Concat(Reply), result.Content[0].Text);
        string prompt = model.Tokenizer.Decode(backend.Prompts[^1]);
        Assert.Contains("<|im_start|>tool\n18 C and sunny<|im_end|>", prompt);
        // This vocabulary has no braces (they decode as <unk>), so compare through the same lossy round trip.
        string Lossy(string text) => model.Tokenizer.Decode(model.Tokenizer.Encode(text, addSpecialTokens: false)).Trim();
        Assert.Contains(Lossy("\"get_weather\", \"arguments\": {\"city\":\"Paris\"}}</tool_call><|im_end|>\n<|im_start|>tool\n18 C"), prompt);
    }
}
