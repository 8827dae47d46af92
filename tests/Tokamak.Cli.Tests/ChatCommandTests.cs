using System.Text.Json.Nodes;

namespace Tokamak.Cli.Tests;

public class ChatCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-chat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>TinyStories-656K with a ChatML chat template added to its tokenizer_config.json.</summary>
    private string ModelWithTemplate()
    {
        foreach (string f in Directory.GetFiles(TestPaths.Model("tinystories-656k")))
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        string cfgPath = Path.Combine(_dir, "tokenizer_config.json");
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["chat_template"] = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        return _dir;
    }

    /// <summary>The expected reply, computed in-process: render the conversation, greedy-generate.</summary>
    private static string Reply(string model, JsonArray messages)
    {
        using var m = Tokamak.Models.ModelLoader.Load(model);
        var ids = m.Tokenizer.Encode(m.ChatTemplate!.Render(messages, addGenerationPrompt: true), addSpecialTokens: false);
        var p = new Tokamak.Engine.Sampling.SamplingParams { Temperature = 0, MaxTokens = 8 };
        return new Tokamak.Engine.Generator(m.Model, m.Tokenizer).Generate(ids, p).Text;
    }

    [Fact]
    public void ChatKeepsHistoryResetsAndExits()
    {
        string model = ModelWithTemplate();
        var r = CliRunner.RunWithInput("Once upon a time\nThe little dog\n/reset\nThe little dog\n/exit\nnever read\n",
            "chat", "--model", model, "--temperature", "0", "--max-tokens", "8", "--system", "Tell stories.");
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonObject Msg(string role, string content) => new() { ["role"] = role, ["content"] = content };
        string first = Reply(model, [Msg("system", "Tell stories."), Msg("user", "Once upon a time")]);
        string second = Reply(model, [Msg("system", "Tell stories."), Msg("user", "Once upon a time"), Msg("assistant", first), Msg("user", "The little dog")]);
        string afterReset = Reply(model, [Msg("system", "Tell stories."), Msg("user", "The little dog")]);
        Assert.Equal(first + "\n" + second + "\n" + afterReset + "\n", r.Stdout);
    }

    [Fact]
    public void ModelWithoutTemplateIsAOneLineError() =>
        CliRunner.AssertOneLineError(CliRunner.RunWithInput("hi\n", "chat", "--model", TestPaths.Model("tinystories-656k")), "chat template");
}
