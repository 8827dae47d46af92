using System.Text.Json.Nodes;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers.Training;

namespace Tokamak.Tests.Data.Synthetic;

/// <summary>The default model's chat template against hand-written renderings.</summary>
public class ChatMlTemplateTests
{
    private static readonly ChatTemplate Template = new(ChatMlTemplate.Source, null, ChatMlTemplate.ImEnd);

    private static JsonObject Msg(string role, string content) => new() { ["role"] = role, ["content"] = content };

    [Fact]
    public void SystemUserAssistant()
    {
        string s = Template.Render([Msg("system", "Be brief."), Msg("user", "What is 2 + 3?"), Msg("assistant", "5")], addGenerationPrompt: false);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n", s);
    }

    [Fact]
    public void GenerationPrompt_WithoutSystem()
    {
        string s = Template.Render([Msg("user", "Hi")], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", s);
    }

    [Fact]
    public void Tools_ToolCalls_AndToolResponses()
    {
        var tools = new JsonArray(new JsonObject { ["name"] = "calc", ["parameters"] = new JsonObject { ["type"] = "object" } });
        var call = new JsonObject
        {
            ["role"] = "assistant",
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "calc", ["arguments"] = new JsonObject { ["expression"] = "12 * 34" } },
            }),
        };
        var messages = new JsonArray(Msg("system", "Sys."), Msg("user", "12 * 34?"), call, Msg("tool", "{\"result\": 408}"), Msg("tool", "ok"), Msg("assistant", "408"));
        string s = Template.Render(messages, addGenerationPrompt: false, tools);
        Assert.Equal(
            "<|im_start|>system\nSys.\n\n# Tools\n<tools>\n{\"name\": \"calc\", \"parameters\": {\"type\": \"object\"}}\n</tools>\n" +
            "To call a tool, answer with <tool_call>\n{\"name\": <name>, \"arguments\": <json>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n12 * 34?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"calc\", \"arguments\": {\"expression\": \"12 * 34\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n{\"result\": 408}\n</tool_response>\n<tool_response>\nok\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n408<|im_end|>\n", s);
    }

    [Fact]
    public void ToolCallArgumentsGivenAsAString_AreWrittenAsTheyAre()
    {
        var call = new JsonObject
        {
            ["role"] = "assistant", ["content"] = "Let me check.",
            ["tool_calls"] = new JsonArray(new JsonObject { ["name"] = "calc", ["arguments"] = "{\"expression\":\"1 + 1\"}" }),
        };
        string s = Template.Render([Msg("user", "1 + 1?"), call], addGenerationPrompt: false);
        Assert.Equal("<|im_start|>user\n1 + 1?<|im_end|>\n<|im_start|>assistant\nLet me check.\n<tool_call>\n{\"name\": \"calc\", \"arguments\": {\"expression\":\"1 + 1\"}}\n</tool_call><|im_end|>\n", s);
    }

    [Fact]
    public void ToolsAsJsonText_AreListedVerbatim()
    {
        // LLaMA-Factory's tools column holds the schema list as text.
        var jinja = new JinjaTemplate(ChatMlTemplate.Source);
        string t = jinja.Render(new Dictionary<string, JinjaValue>
        {
            ["messages"] = JinjaValue.FromJson(new JsonArray(Msg("user", "Hi"))),
            ["tools"] = new JinjaString("[{\"name\":\"calc\"}]"),
            ["add_generation_prompt"] = JinjaValue.From(false),
        }, TimeProvider.System);
        Assert.StartsWith("<|im_start|>system\n# Tools\n<tools>\n[{\"name\":\"calc\"}]\n</tools>\n", t);
        Assert.EndsWith("<|im_start|>user\nHi<|im_end|>\n", t);
    }

    [Fact]
    public void SystemMessageNotFirst_IsAnError()
    {
        var e = Assert.Throws<TemplateException>(() => Template.Render([Msg("user", "Hi"), Msg("system", "late")], addGenerationPrompt: false));
        Assert.Contains("system message must come first", e.Message);
    }

    [Fact]
    public void TokenizerConfig_CarriesTheTemplate_AndLoadsThroughChatTemplate()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-tpl-{Guid.NewGuid():N}");
        try
        {
            var v = BpeTrainer.Train(["hello world"], 260);
            TokenizerFilesWriter.Write(dir, v, 256);
            var loaded = ChatTemplate.FromTokenizerConfig(Path.Combine(dir, "tokenizer_config.json"));
            Assert.Equal(ChatMlTemplate.ImEnd, loaded.EosToken);
            Assert.Null(loaded.BosToken);
            Assert.Equal(Template.Render([Msg("user", "Hi")], true), loaded.Render([Msg("user", "Hi")], true));
        }
        finally { Directory.Delete(dir, true); }
    }
}
