using System.Text.Json.Nodes;
using Tokamak.Text.Templates;

namespace Tokamak.Tests.Text.Templates;

/// <summary>
/// Every case in shared/reference/chat_template/*.json (rendered by transformers.js apply_chat_template and
/// cross-checked byte-identical against Python jinja2) must render byte-identically here.
/// </summary>
public class ChatTemplateReferenceTests
{
    private static readonly Dictionary<string, JsonObject> Files = new()
    {
        ["qwen3"] = Load("qwen3"),
        ["llama3"] = Load("llama3"),
    };

    private static JsonObject Load(string model) =>
        JsonNode.Parse(File.ReadAllText(TestPaths.Reference($"chat_template/{model}.json")))!.AsObject();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (model, file) in Files)
            foreach (var c in file["cases"]!.AsArray())
                data.Add(model, c!["name"]!.GetValue<string>());
        return data;
    }

    private static JsonObject Case(string model, string name) =>
        Files[model]["cases"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!.AsObject();

    private static string Render(ChatTemplate template, JsonObject c)
    {
        var options = c["options"]!.AsObject();
        bool addGen = options["add_generation_prompt"]?.GetValue<bool>() ?? false;
        var tools = options["tools"]?.DeepClone().AsArray();
        var extra = options.Where(kv => kv.Key is not "add_generation_prompt" and not "tools")
            .ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
        return template.Render(c["messages"]!.DeepClone().AsArray(), addGen, tools, extra);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TokenizerConfigTemplateMatchesReference(string model, string name)
    {
        var c = Case(model, name);
        var template = ChatTemplate.FromTokenizerConfig(TestPaths.Tokenizer($"{model}/tokenizer_config.json"));
        Assert.Equal(c["rendered"]!.GetValue<string>(), Render(template, c));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StoredTemplateMatchesReference(string model, string name)
    {
        var c = Case(model, name);
        var config = ChatTemplate.FromTokenizerConfig(TestPaths.Tokenizer($"{model}/tokenizer_config.json"));
        var template = new ChatTemplate(Files[model]["chat_template"]!.GetValue<string>(), config.BosToken, config.EosToken);
        Assert.Equal(c["rendered"]!.GetValue<string>(), Render(template, c));
    }

    [Fact]
    public void AllReferenceCasesAreCovered()
    {
        Assert.Equal(13, Files["qwen3"]["cases"]!.AsArray().Count);
        Assert.Equal(8, Files["llama3"]["cases"]!.AsArray().Count);
    }

    [Fact]
    public void TokenizerConfigSpecialTokens()
    {
        var llama = ChatTemplate.FromTokenizerConfig(TestPaths.Tokenizer("llama3/tokenizer_config.json"));
        Assert.Equal("<|begin_of_text|>", llama.BosToken);
        Assert.Equal("<|end_of_text|>", llama.EosToken);
        var qwen = ChatTemplate.FromTokenizerConfig(TestPaths.Tokenizer("qwen3/tokenizer_config.json"));
        Assert.Null(qwen.BosToken);
        Assert.Equal("<|im_end|>", qwen.EosToken);
    }
}
