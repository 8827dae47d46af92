using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Tensors;

namespace Tokamak.Tests.Models.Architectures;

/// <summary>
/// Every architecture flavour the loader accepts, as a small random-weight model written by RandomModelWriter,
/// against <see cref="NaiveLlama"/>. The inverse frequencies fed to the naive model are computed here from
/// Hugging Face's rope_init formulas, not taken from RopeTable.
/// </summary>
public class ArchitectureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-arch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private LoadedWeights Synth(string name, string configJson, DType dtype = DType.F32)
    {
        string cfg = Path.Combine(_dir, name + ".json");
        File.WriteAllText(cfg, configJson);
        string outDir = Path.Combine(_dir, name);
        RandomModelWriter.Write(cfg, outDir, dtype, seed: 11, tokenizerDir: null);
        return WeightsLoader.Load(outDir);
    }

    private static void AssertMatchesNaive(LoadedWeights w, Func<int, double> invFreq, double mscale = 1, double tol = 1e-4)
    {
        var model = new LlamaModel(w.Config, w.Weights);
        var naive = new NaiveLlama(w.Config, w.Weights);
        int[] tokens = [3, 17, 250, 9, 77, 1, 42];
        using var s = model.CreateState(32, maxChunk: 3); // several chunks, so cached-prefix attention is exercised
        model.Forward(s, tokens);
        var expected = naive.Logits(tokens, invFreq, mscale);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(s.Logits[i] - expected[i]) <= tol * Math.Max(1, scale), $"logit {i}: {s.Logits[i]} vs {expected[i]}");
    }

    private static Func<int, double> Default(double theta, int dim) => i => Math.Pow(theta, -2.0 * i / dim);

    [Fact]
    public void LlamaWithGqa()
    {
        using var w = Synth("llama", """{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":8,"num_key_value_heads":2,"vocab_size":300,"rms_norm_eps":1e-5,"rope_theta":10000.0}""");
        Assert.False(w.Config.TieWordEmbeddings);
        AssertMatchesNaive(w, Default(10000, 8));
    }

    [Fact]
    public void Qwen2WithQkvBiasAndTiedEmbeddingsInBf16()
    {
        using var w = Synth("qwen2", """{"architectures":["Qwen2ForCausalLM"],"hidden_size":48,"intermediate_size":80,"num_hidden_layers":2,"num_attention_heads":6,"num_key_value_heads":2,"vocab_size":300,"rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":true}""", DType.BF16);
        Assert.True(w.Config.QkvBias && w.Config.TieWordEmbeddings);
        AssertMatchesNaive(w, Default(1e6, 8));
    }

    [Fact]
    public void Qwen3WithQkNormAndExplicitHeadDim()
    {
        using var w = Synth("qwen3", """{"architectures":["Qwen3ForCausalLM"],"hidden_size":32,"head_dim":16,"intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":300,"rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":true}""", DType.F16);
        Assert.True(w.Config.QkNorm);
        Assert.Equal(64, w.Config.QDim); // q width differs from hidden size
        AssertMatchesNaive(w, Default(1e6, 16));
    }

    [Fact]
    public void MistralLoads()
    {
        using var w = Synth("mistral", """{"architectures":["MistralForCausalLM"],"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":1,"vocab_size":300,"rms_norm_eps":1e-5,"rope_theta":1000000.0,"sliding_window":4096}""");
        AssertMatchesNaive(w, Default(1e6, 8));
    }

    [Fact]
    public void Llama3RopeScaling()
    {
        // Llama 3.1's rope_scaling: wavelengths shorter than 8192/4 keep their frequency, longer than 8192/1 are
        // divided by the factor, and those between are blended (HF _compute_llama3_parameters).
        using var w = Synth("llama3", """{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":96,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":300,"rope_theta":500000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192}}""");
        AssertMatchesNaive(w, i =>
        {
            double f = Math.Pow(500000.0, -2.0 * i / 32), wavelen = 2 * Math.PI / f;
            if (wavelen < 8192 / 4.0) return f;
            if (wavelen > 8192 / 1.0) return f / 8;
            double smooth = (8192 / wavelen - 1) / (4 - 1);
            return (1 - smooth) * f / 8 + smooth * f;
        });
    }

    [Fact]
    public void LinearRopeScaling()
    {
        using var w = Synth("linear", """{"architectures":["LlamaForCausalLM"],"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":2,"vocab_size":300,"rope_theta":10000.0,"rope_scaling":{"type":"linear","factor":4.0}}""");
        AssertMatchesNaive(w, i => Math.Pow(10000.0, -2.0 * i / 16) / 4);
    }

    [Fact]
    public void YarnRopeScaling()
    {
        // YaRN (HF _compute_yarn_parameters): blend interpolated and extrapolated frequencies with a linear ramp
        // between the correction dims for beta_fast=32 and beta_slow=1; cos/sin scaled by 0.1·ln(factor)+1.
        using var w = Synth("yarn", """{"architectures":["Qwen2ForCausalLM"],"hidden_size":64,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":300,"rope_theta":10000.0,"rope_scaling":{"type":"yarn","factor":4.0,"original_max_position_embeddings":64}}""");
        int dim = 32;
        double Corr(double rot) => dim * Math.Log(64 / (rot * 2 * Math.PI)) / (2 * Math.Log(10000.0));
        double low = Math.Max(Math.Floor(Corr(32)), 0), high = Math.Min(Math.Ceiling(Corr(1)), dim - 1);
        AssertMatchesNaive(w, i =>
        {
            double extra = Math.Pow(10000.0, -2.0 * i / dim), inter = extra / 4;
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            return inter * ramp + extra * (1 - ramp);
        }, mscale: 0.1 * Math.Log(4) + 1);
    }

    [Fact]
    public void ShardedSafetensorsLoadLikeOneFile()
    {
        using var single = Synth("one", """{"architectures":["LlamaForCausalLM"],"hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":2,"vocab_size":300}""");
        string dir = Path.Combine(_dir, "sharded");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(_dir, "one", "config.json"), Path.Combine(dir, "config.json"));
        var names = RandomModelWriter.TensorList(single.Config);
        var map = new System.Text.Json.Nodes.JsonObject();
        for (int shard = 0; shard < 2; shard++)
        {
            var mine = names.Where((_, i) => i % 2 == shard).ToList();
            string file = $"model-0000{shard + 1}-of-00002.safetensors";
            using (var writer = new Tokamak.Models.Formats.SafeTensorsWriter(Path.Combine(dir, file), mine.Select(t => (t.Name, DType.F32, t.Shape))))
                foreach (var t in mine)
                {
                    var src = single.Source.Find(t.Name)!;
                    unsafe { writer.Write(new ReadOnlySpan<byte>(src.Data, (int)src.ByteLength)); }
                    writer.EndTensor();
                }
            foreach (var t in mine) map[t.Name] = file;
        }
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString());
        using var sharded = WeightsLoader.Load(dir);
        var a = new LlamaModel(single.Config, single.Weights);
        var b = new LlamaModel(sharded.Config, sharded.Weights);
        using var sa = a.CreateState(8);
        using var sb = b.CreateState(8);
        a.Forward(sa, [1, 2, 3]);
        b.Forward(sb, [1, 2, 3]);
        Assert.Equal(sa.Logits.ToArray(), sb.Logits.ToArray());
    }
}
