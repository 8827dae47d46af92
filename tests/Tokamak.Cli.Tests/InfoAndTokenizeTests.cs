using System.Text.Json;

namespace Tokamak.Cli.Tests;

public class InfoAndTokenizeTests
{
    [Fact]
    public void InfoReportsTheConfigOfEachFormat()
    {
        foreach (string model in new[] { "tinystories-656k", "tinystories-656k-gguf/tinystories-656k-q8_0.gguf" })
        {
            var r = CliRunner.Run("info", "--model", TestPaths.Model(model), "--format", "json");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var j = JsonDocument.Parse(r.Stdout).RootElement;
            // Numbers from shared/README.md: hidden 128, 2 layers, 8 heads / 4 KV heads, vocab 2048.
            Assert.Equal(128, j.GetProperty("hidden_size").GetInt32());
            Assert.Equal(2, j.GetProperty("layers").GetInt32());
            Assert.Equal(8, j.GetProperty("heads").GetInt32());
            Assert.Equal(4, j.GetProperty("kv_heads").GetInt32());
            Assert.Equal(2048, j.GetProperty("vocab_size").GetInt32());
            Assert.True(j.GetProperty("tied_embeddings").GetBoolean());
        }
    }

    [Fact]
    public void TokenizeMatchesTheHuggingFaceReference()
    {
        using var reference = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference("tokenizer/tinystories-656k.json")));
        var c = reference.RootElement.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("input").GetString() is { Length: > 5 } s && !s.Contains('<'));
        var r = CliRunner.Run("tokenize", "--model", TestPaths.Model("tinystories-656k"), "--text", c.GetProperty("input").GetString()!, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var ids = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32());
        Assert.Equal(c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()), ids);
    }

    [Fact]
    public void SynthWritesALoadableRandomModel()
    {
        string dir = Directory.CreateTempSubdirectory("tokamak-synth-").FullName;
        try
        {
            string cfg = Path.Combine(dir, "config.json");
            File.WriteAllText(cfg, """
                {"architectures":["Qwen2ForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
                 "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":2048,"max_position_embeddings":256,
                 "rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":true}
                """);
            string outDir = Path.Combine(dir, "model");
            var s = CliRunner.Run("synth", "--config", cfg, "--out", outDir, "--dtype", "bf16", "--seed", "3", "--tokenizer", TestPaths.Model("tinystories-656k"));
            Assert.True(s.ExitCode == 0, s.Stderr);
            var info = CliRunner.Run("info", "--model", outDir, "--format", "json");
            Assert.True(info.ExitCode == 0, info.Stderr);
            var j = JsonDocument.Parse(info.Stdout).RootElement;
            Assert.True(j.GetProperty("qkv_bias").GetBoolean());
            Assert.Equal("bf16", Assert.Single(j.GetProperty("matrix_dtypes").EnumerateObject()).Name);
            var g = CliRunner.Run("generate", "--model", outDir, "--prompt", "Once", "--max-tokens", "5", "--temperature", "0", "--ignore-eos", "--format", "json");
            Assert.True(g.ExitCode == 0, g.Stderr);
            Assert.Equal(5, JsonDocument.Parse(g.Stdout).RootElement.GetProperty("ids").GetArrayLength());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
