using Tokamak.Models;
using Tokamak.Models.Formats;
using Tokamak.Quantization;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;
using Tokamak.Tests.Models.Formats;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Quantization;

public sealed class QuantizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-quant-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out(string name) => Path.Combine(_dir, name);

    private static int[] Greedy(LoadedModel m, int[] prompt, int steps) => GreedyRun.Tokens(m.Model, prompt, steps);

    /// <summary>HF (NeoX RoPE) → llama GGUF with permuted Q/K: F32 gives the source's greedy tokens exactly.</summary>
    [Fact]
    public void HfLlamaToF32GgufKeepsGreedyTokens()
    {
        string src = TestPaths.Model("tinystories-656k");
        var summary = Quantizer.Run(src, Out("ts.gguf"), QuantRecipe.Parse("f32"));
        Assert.Equal("llama", summary.Architecture);
        using var a = ModelLoader.Load(src);
        using var b = ModelLoader.Load(Out("ts.gguf"));
        Assert.Equal(RopeStyle.Interleaved, b.Config.RopeStyle);
        var prompt = a.Tokenizer.Encode("Once upon a time, there was a little girl named Lily.");
        Assert.Equal(Greedy(a, prompt, 32), Greedy(b, prompt, 32));
        Assert.Equal(a.Config.EosTokenIds.First(), b.Config.EosTokenIds.First());
    }

    /// <summary>Q8_0 stays close: the first generated tokens match the source's.</summary>
    [Fact]
    public void HfLlamaToQ8_0KeepsTheFirstTokens()
    {
        string src = TestPaths.Model("tinystories-656k");
        Quantizer.Run(src, Out("ts-q8.gguf"), QuantRecipe.Parse("q8_0"));
        using var a = ModelLoader.Load(src);
        using var b = ModelLoader.Load(Out("ts-q8.gguf"));
        Assert.All(b.Weights.Weights.Matrices(), t => Assert.Equal(DType.Q8_0, t.DType));
        var prompt = a.Tokenizer.Encode("Once upon a time, there was a little girl named Lily.");
        Assert.Equal(Greedy(a, prompt, 4), Greedy(b, prompt, 4));
    }

    /// <summary>llama2.c → GGUF: same greedy tokens, and the vocabulary equals the one llama.cpp's converter wrote.</summary>
    [Fact]
    public void Llama2cToGgufMatchesTheReferenceConversion()
    {
        string src = TestPaths.Model("stories260k/stories260K.bin");
        Quantizer.Run(src, Out("s.gguf"), QuantRecipe.Parse("f32"), TestPaths.Model("stories260k/tok512.bin"));
        using var a = ModelLoader.Load(src, TestPaths.Model("stories260k/tok512.bin"));
        using var b = ModelLoader.Load(Out("s.gguf"));
        var prompt = a.Tokenizer.Encode("Once upon a time");
        Assert.Equal(Greedy(a, prompt, 24), Greedy(b, prompt, 24));
        using var reference = new GgufFile(TestPaths.Model("stories260k/stories260K.gguf"));
        using var mine = new GgufFile(Out("s.gguf"));
        Assert.Equal((string[])reference.Metadata["tokenizer.ggml.tokens"], (string[])mine.Metadata["tokenizer.ggml.tokens"]);
        Assert.Equal(reference.Metadata["tokenizer.ggml.model"], mine.Metadata["tokenizer.ggml.model"]);
    }

    /// <summary>Every type and recipe writes a GGUF that loads and runs (a GGUF source keeps its metadata).</summary>
    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("q4_0")]
    [InlineData("q4_1")]
    [InlineData("q5_0")]
    [InlineData("q5_1")]
    [InlineData("q2_k")]
    [InlineData("q3_k")]
    [InlineData("q4_k")]
    [InlineData("q5_k")]
    [InlineData("q6_k")]
    [InlineData("q4_k_m")]
    [InlineData("q5_k_m")]
    public void EveryTypeWritesALoadableModel(string type)
    {
        string src = TestPaths.Model("stories260k/stories260K.gguf");
        var summary = Quantizer.Run(src, Out($"{type}.gguf"), QuantRecipe.Parse(type));
        using var m = ModelLoader.Load(Out($"{type}.gguf"));
        // stories260K rows are 64 (or 172) wide: K types fall back to 32-blocks or F16 as llama.cpp does.
        foreach (var t in m.Weights.Weights.Matrices())
            Assert.Equal(summary.TensorTypes.Single(x => x.Name == t.Name).Type, t.DType);
        var prompt = m.Tokenizer.Encode("Once upon a time");
        var tokens = Greedy(m, prompt, 8);
        Assert.All(tokens, id => Assert.InRange(id, 0, m.Config.VocabSize - 1));
    }

    /// <summary>A Qwen2-shaped HF model with the real Qwen tokenizer: qwen2 GGUF, byte-level BPE vocabulary and chat template embedded.</summary>
    [Fact]
    public void HfQwen2ToGgufIsSelfContained()
    {
        string cfg = Out("config.json");
        File.WriteAllText(cfg, """
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 512,
             "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645}
            """);
        string hf = Out("qwen-hf");
        RandomModelWriter.Write(cfg, hf, DType.BF16, 3, TestPaths.Tokenizer("qwen3"));
        var summary = Quantizer.Run(hf, Out("qwen.gguf"), QuantRecipe.Parse("f32"));
        Assert.Equal("qwen2", summary.Architecture);
        using var a = ModelLoader.Load(hf);
        using var b = ModelLoader.Load(Out("qwen.gguf"));
        foreach (var text in new[] { "Hello world! 12345 héllo", "<|im_start|>user\nWhat's 2+2?<|im_end|>\n", "  spaces\tand\nnewlines  " })
            Assert.Equal(a.Tokenizer.Encode(text), b.Tokenizer.Encode(text));
        Assert.NotNull(b.ChatTemplate);
        var prompt = a.Tokenizer.Encode("The quick brown fox");
        Assert.Equal(Greedy(a, prompt, 8), Greedy(b, prompt, 8));
    }

    [Fact]
    public void Q4_K_M_FollowsLlamaCppForQwenHalfBillionShapes()
    {
        var r = QuantRecipe.Parse("Q4_K_M");
        // Qwen2.5-0.5B: hidden 896 (not a multiple of 256), intermediate 4864 = 19·256, 24 layers.
        Assert.Equal(DType.Q8_0, r.TypeFor(TensorRole.Output, 896, 0, 24));   // Q6_K → Q8_0 fallback
        Assert.Equal(DType.Q5_0, r.TypeFor(TensorRole.Other, 896, 3, 24));    // Q4_K → Q5_0 fallback
        Assert.Equal(DType.Q8_0, r.TypeFor(TensorRole.AttnV, 896, 0, 24));
        Assert.Equal(DType.Q5_0, r.TypeFor(TensorRole.AttnV, 896, 3, 24));
        // llama.cpp's use_more_bits(i, 24): i < 3, i ≥ 21, or (i − 3) % 3 == 2.
        int[] more = [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23];
        for (int l = 0; l < 24; l++)
            Assert.Equal(more.Contains(l) ? DType.Q6_K : DType.Q4_K, r.TypeFor(TensorRole.FfnDown, 4864, l, 24));
        Assert.Equal(DType.Q4_K, r.TypeFor(TensorRole.Embedding, 4096, 0, 24));
        Assert.Equal(DType.F16, QuantRecipe.Fallback(DType.Q4_0, 100));
        Assert.Equal(DType.Q5_1, QuantRecipe.Parse("q5_k_m").TypeFor(TensorRole.Other, 896, 0, 24));
    }

    [Fact]
    public void UnknownTypeIsAOneLineError()
    {
        var e = Assert.Throws<ArgumentException>(() => QuantRecipe.Parse("q7_k"));
        Assert.Contains("'q7_k'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
