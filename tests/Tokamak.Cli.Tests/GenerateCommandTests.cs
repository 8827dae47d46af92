using System.Text.Json;

namespace Tokamak.Cli.Tests;

public class GenerateCommandTests
{
    private static JsonElement Json(CliRunner.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Fact]
    public void GgufGreedyReproducesLlamaCpp()
    {
        using var reference = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("llamacpp/stories260K.json")));
        var run = reference.RootElement.GetProperty("runs").EnumerateArray().First(x => x.GetProperty("prompt").GetString() == "Once upon a time");
        var r = Json(CliRunner.Run("generate", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--prompt", "Once upon a time",
            "--temperature", "0", "--max-tokens", "64", "--format", "json"));
        Assert.Equal(Ints(run.GetProperty("prompt_ids")), Ints(r.GetProperty("prompt_ids")));
        Assert.Equal(Ints(run.GetProperty("generated_ids")), Ints(r.GetProperty("ids")));
        Assert.Equal(run.GetProperty("generated_text").GetString(), r.GetProperty("text").GetString());
        Assert.True(r.GetProperty("decode_tok_s").GetDouble() > 0);
    }

    [Fact]
    public void Llama2cGreedyReproducesRunC()
    {
        using var reference = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("llama2c/stories260K.json")));
        var run = reference.RootElement.GetProperty("runs").EnumerateArray().First(x => x.GetProperty("prompt").GetString() == "");
        var expected = Ints(run.GetProperty("printed_token_ids"));
        var r = Json(CliRunner.Run("generate", "--model", TestPaths.Model("stories260k/stories260K.bin"), "--prompt", "",
            "--temperature", "0", "--max-tokens", expected.Length.ToString(), "--format", "json"));
        Assert.Equal([1], Ints(r.GetProperty("prompt_ids")));
        Assert.Equal(expected, Ints(r.GetProperty("ids")));
    }

    [Fact]
    public void SameSeedSameTextDifferentSeedDifferentText()
    {
        string[] Args(string seed) => ["generate", "--model", TestPaths.Model("tinystories-656k"), "--prompt", "The little dog",
            "--temperature", "1.0", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--max-tokens", "40", "--seed", seed, "--format", "json"];
        var a = Json(CliRunner.Run(Args("7")));
        var b = Json(CliRunner.Run(Args("7")));
        var c = Json(CliRunner.Run(Args("8")));
        Assert.Equal(Ints(a.GetProperty("ids")), Ints(b.GetProperty("ids")));
        Assert.NotEqual(Ints(a.GetProperty("ids")), Ints(c.GetProperty("ids")));
    }

    [Fact]
    public void TextModeStreamsThePromptAndContinuation()
    {
        var r = CliRunner.Run("generate", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--prompt", "Once upon a time",
            "--temperature", "0", "--max-tokens", "16");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily", r.Stdout);
        Assert.Contains("tok/s", r.Stderr);
    }

    [Fact]
    public void StopStringEndsGenerationBeforeIt()
    {
        var r = Json(CliRunner.Run("generate", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--prompt", "Once upon a time",
            "--temperature", "0", "--max-tokens", "64", "--stop", "Lily", "--format", "json"));
        Assert.Equal(", there was a little girl named ", r.GetProperty("text").GetString());
        Assert.Equal("stop", r.GetProperty("finish_reason").GetString());
    }
}
