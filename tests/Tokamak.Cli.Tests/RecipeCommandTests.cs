using System.Text.Json;
using Tokamak.Engine.Sampling;
using Tokamak.Models;

namespace Tokamak.Cli.Tests;

public class RecipeCommandTests
{
    private static readonly string[] Stages = ["corpus", "tokenizer", "prepare", "pretrain", "sft", "export", "quantize", "eval"];

    [Fact]
    public void SmokeRecipe_WritesEveryStageArtifact_AndAGgufThatLoadsAndGenerates_Reproducibly()
    {
        string a = Path.Combine(Path.GetTempPath(), $"tokamak-recipe-{Guid.NewGuid():N}"), b = a + "-again";
        try
        {
            var r = CliRunner.Run("recipe", "default-model", "--smoke", "--out", a);
            Assert.True(r.ExitCode == 0, r.Stderr);
            foreach (var f in new[] { "corpus/dataset_info.json", "corpus/heldout/qa.jsonl", "corpus/tokenizer/tokenizer.json", "corpus/tokenizer/tokenizer_config.json",
                         "prepared/sft.jsonl", "prepared/dataset_info.json", "prepared/report.json", "pretrain/model.safetensors", "sft/model.safetensors",
                         "hf/config.json", "hf/model.safetensors", "hf/tokenizer.json", "tokamak-chat.gguf", "recipe.json" })
                Assert.True(File.Exists(Path.Combine(a, f)), f);
            using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "recipe.json"))))
            {
                Assert.Equal(Stages, doc.RootElement.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!).ToArray());
                Assert.Equal(13, doc.RootElement.GetProperty("tasks").GetArrayLength());
                // The model saw a few dozen steps: far from the uniform-guess perplexity over 1.4k+ tokens.
                double ppl = doc.RootElement.GetProperty("story_perplexity").GetDouble();
                Assert.InRange(ppl, 1.0, 1000.0);
            }
            // The prepared SFT set keeps every converted record, tool calls included.
            Assert.Contains(File.ReadLines(Path.Combine(a, "prepared/sft.jsonl")), l => l.Contains("\"role\":\"function\""));

            using (var m = ModelLoader.Load(Path.Combine(a, "tokamak-chat.gguf")))
            {
                Assert.NotNull(m.ChatTemplate); // tokenizer.chat_template made it into the GGUF
                var ids = m.Tokenizer.Encode("Once upon a time", addSpecialTokens: false);
                var g = new Tokamak.Engine.Generator(m.Model, m.Tokenizer).Generate(ids, new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true });
                Assert.Equal(8, g.Ids.Length);
            }

            // Same seed, same configs: the second run writes the same model, byte for byte.
            var again = CliRunner.Run("recipe", "default-model", "--smoke", "--out", b);
            Assert.True(again.ExitCode == 0, again.Stderr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "tokamak-chat.gguf")), File.ReadAllBytes(Path.Combine(b, "tokamak-chat.gguf")));
        }
        finally
        {
            foreach (var d in new[] { a, b }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void BadRecipeFile_IsAOneLineError()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-recipe-bad-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "recipe.yaml");
            File.WriteAllText(file, "seed: 1\nstorys: 10\n");
            CliRunner.AssertOneLineError(CliRunner.Run("recipe", "default-model", "--config", file, "--out", Path.Combine(dir, "out")), "unknown key 'storys'");
            CliRunner.AssertOneLineError(CliRunner.Run("recipe", "default-model", "--config", Path.Combine(dir, "none.yaml"), "--out", Path.Combine(dir, "out")), "not found");
        }
        finally { Directory.Delete(dir, true); }
    }
}
