using System.Text.Json;

namespace Tokamak.Cli.Tests;

/// <summary>Without --model the CLI runs the shipped model (models/default, copied beside the executable).</summary>
public class DefaultModelTests
{
    private static string Shipped => Path.Combine(AppContext.BaseDirectory, "models", "default", "tokamak-chat.gguf");

    [Fact]
    public void TheShippedModelIsCopiedBesideTheCli() => Assert.True(File.Exists(Shipped), Shipped);

    [Fact]
    public void EvalWithoutModel_ScoresTheShippedModelThroughItsChatTemplate()
    {
        var r = CliRunner.Run("eval", "--tasks", "add_1digit,next_day", "--limit", "5", "--no-perplexity", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Contains("tokamak-chat", doc.RootElement.GetProperty("model").GetString());
        Assert.True(doc.RootElement.GetProperty("chat_template").GetBoolean());
        Assert.Equal(10, doc.RootElement.GetProperty("overall").GetProperty("total").GetInt32());
    }

    [Fact]
    public void GenerateAndChatWithoutModel_UseTheShippedModel()
    {
        var g = CliRunner.Run("generate", "--prompt", "Once upon a time", "-n", "12", "--temperature", "0");
        Assert.True(g.ExitCode == 0, g.Stderr);
        Assert.Contains("tokamak-chat", g.Stderr);
        Assert.StartsWith("Once upon a time", g.Stdout);
        Assert.True(g.Stdout.Length > "Once upon a time".Length);

        var c = CliRunner.RunWithInput("What is 2 + 2?\n", "chat", "-n", "8", "--temperature", "0");
        Assert.True(c.ExitCode == 0, c.Stderr);
        Assert.Contains("tokamak-chat", c.Stderr);
        using var m = Tokamak.Models.ModelLoader.Load(Shipped);
        var ids = m.Tokenizer.Encode(m.ChatTemplate!.Render([new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["content"] = "What is 2 + 2?" }], addGenerationPrompt: true), addSpecialTokens: false);
        string reply = new Tokamak.Engine.Generator(m.Model, m.Tokenizer).Generate(ids, new Tokamak.Engine.Sampling.SamplingParams { Temperature = 0, MaxTokens = 8 }).Text;
        Assert.Contains(reply.Trim(), c.Stdout);
    }
}
