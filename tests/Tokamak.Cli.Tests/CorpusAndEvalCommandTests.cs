using System.Text.Json;

namespace Tokamak.Cli.Tests;

public class CorpusAndEvalCommandTests
{
    [Fact]
    public void Corpus_WritesDatasetHeldOutSplitAndATokenizerTheCliCanUse()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-cli-corpus-{Guid.NewGuid():N}");
        try
        {
            var r = CliRunner.Run("corpus", "--out", dir, "--seed", "4", "--stories", "200", "--qa", "300", "--chats", "20", "--story-chats", "5",
                "--tool-calls", "10", "--vocab", "600", "--eval-per-task", "5", "--eval-stories", "10");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("wrote 200 stories", r.Stderr);
            foreach (var f in new[] { "dataset_info.json", "stories.jsonl", "qa_sft.json", "chat_sft.json", "heldout/qa.jsonl", "heldout/stories.jsonl",
                         "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "corpus.json" })
                Assert.True(File.Exists(Path.Combine(dir, f)), f);
            Assert.Equal(200, File.ReadLines(Path.Combine(dir, "stories.jsonl")).Count());
            Assert.Equal(10, File.ReadLines(Path.Combine(dir, "heldout/stories.jsonl")).Count());

            // A random-weight model carrying the corpus tokenizer: eval goes through its chat template on the corpus's held-out files.
            int vocab = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "corpus.json"))).RootElement.GetProperty("tokenizer_vocab_size").GetInt32();
            string config = Path.Combine(dir, "config.json");
            File.WriteAllText(config, $$"""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": {{vocab}}, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
                 "rope_theta": 10000.0, "tie_word_embeddings": true, "eos_token_id": 2}
                """);
            string model = Path.Combine(dir, "model");
            var s = CliRunner.Run("synth", "--config", config, "--out", model, "--dtype", "f32", "--seed", "1", "--tokenizer", Path.Combine(dir, "tokenizer"));
            Assert.True(s.ExitCode == 0, s.Stderr);
            var e = CliRunner.Run("eval", "--model", model, "--data", dir, "--tasks", "add_1digit", "--limit", "2", "--max-tokens", "4", "--ctx", "64", "--format", "json");
            Assert.True(e.ExitCode == 0, e.Stderr);
            using var doc = JsonDocument.Parse(e.Stdout);
            Assert.True(doc.RootElement.GetProperty("chat_template").GetBoolean());
            Assert.Equal(2, doc.RootElement.GetProperty("overall").GetProperty("total").GetInt32());
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Corpus_BadCount_IsOneLineError()
    {
        var r = CliRunner.Run("corpus", "--out", Path.Combine(Path.GetTempPath(), "never-written"), "--stories", "-3");
        CliRunner.AssertOneLineError(r, "stories must be between");
    }

    [Fact]
    public void Eval_TinyModel_PrintsJsonPerTask()
    {
        var r = CliRunner.Run("eval", "--model", TestPaths.Model("tinystories-656k"), "--tasks", "add_1digit,next_month", "--limit", "3", "--max-tokens", "6",
            "--ctx", "64", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(["add_1digit", "next_month"], root.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("task").GetString()));
        Assert.All(root.GetProperty("tasks").EnumerateArray(), t => Assert.Equal(3, t.GetProperty("total").GetInt32()));
        Assert.Equal(6, root.GetProperty("overall").GetProperty("total").GetInt32());
        Assert.False(root.GetProperty("chat_template").GetBoolean());
        double ppl = root.GetProperty("perplexity").GetProperty("value").GetDouble();
        Assert.True(ppl > 1 && double.IsFinite(ppl));
    }

    [Fact]
    public void Eval_TextTable_HasARowPerTaskAndOverall()
    {
        var r = CliRunner.Run("eval", "--model", TestPaths.Model("tinystories-656k"), "--tasks", "spell", "--limit", "2", "--max-tokens", "4", "--no-perplexity");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("spell ", StringComparison.Ordinal) && l.Contains(" 2 "));
        Assert.Contains(lines, l => l.StartsWith("overall", StringComparison.Ordinal));
        Assert.DoesNotContain("perplexity", r.Stdout);
    }

    [Theory]
    [InlineData("--tasks", "nope", "task 'nope'")]
    [InlineData("--data", "/no/such/dir", "corpus folder not found")]
    [InlineData("--limit", "-1", "--limit")]
    public void Eval_BadInput_IsOneLineError(string option, string value, string message)
    {
        var r = CliRunner.Run("eval", "--model", TestPaths.Model("tinystories-656k"), option, value);
        CliRunner.AssertOneLineError(r, message);
    }
}
