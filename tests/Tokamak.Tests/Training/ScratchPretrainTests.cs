using System.Text.Json;
using Tokamak.Models;
using Tokamak.Training;
using Tokamak.Training.Config;
using Tokamak.Training.Export;

namespace Tokamak.Tests.Training;

public class ScratchPretrainTests
{
    private static void WriteCorpus(string dir)
    {
        string[] names = ["Lily", "Tom", "Sue", "Ben", "Max", "Amy", "Sam"];
        string[] things = ["a red ball", "a big dog", "a small cat", "a blue car", "a tall tree"];
        using var w = new StreamWriter(Path.Combine(dir, "stories.txt"));
        for (int i = 0; i < 120; i++)
            w.WriteLine($"{names[i % names.Length]} saw {things[i % things.Length]}. {names[(i + 3) % names.Length]} was happy and said hello to {things[(i * 2) % things.Length]}.");
    }

    private static string Yaml(string dir, string extra) => $"""
        stage: pt
        finetuning_type: full
        tokenizer: {TestPaths.Model("tinystories-656k")}
        hidden_size: 32
        num_hidden_layers: 2
        num_attention_heads: 4
        num_key_value_heads: 2
        intermediate_size: 64
        max_position_embeddings: 64
        tie_word_embeddings: true
        rope_theta: 10000
        dataset: stories.txt
        dataset_dir: {dir}
        cutoff_len: 32
        learning_rate: 1.0e-2
        max_steps: 40
        per_device_train_batch_size: 4
        lr_scheduler_type: cosine
        warmup_steps: 4
        output_dir: {Path.Combine(dir, "out")}
        save_steps: 0
        logging_steps: 10
        seed: 3
        {extra}
        """;

    [Fact]
    public void PretrainingFromScratchLowersLossAndExportsAModelTheEngineRuns()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-scratch");
        try
        {
            WriteCorpus(dir.FullName);
            var cfg = TrainConfig.Parse(Yaml(dir.FullName, ""));
            Assert.True(cfg.FromScratch);
            var result = new TrainingRun(cfg).Run();
            Assert.Equal(40, result.Steps);
            string outDir = Path.Combine(dir.FullName, "out");
            var losses = File.ReadAllLines(Path.Combine(outDir, "trainer_log.jsonl"))
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();
            // Random init over a 2048-token vocabulary starts near ln 2048 ≈ 7.6; the repetitive corpus is learnable.
            Assert.True(losses[0] > 6.5, $"first loss {losses[0]:F3}");
            Assert.True(losses[^5..].Average() < losses[0] - 3, $"loss {losses[0]:F3} → {losses[^5..].Average():F3}");

            // The export is a Hugging Face folder the engine loads (tokenizer included) ...
            using (var loaded = ModelLoader.Load(outDir))
            {
                Assert.Equal(32, loaded.Config.HiddenSize);
                Assert.Equal(2048, loaded.Config.VocabSize);
                Assert.NotEmpty(loaded.Tokenizer.Encode("Lily saw a red ball."));
            }
            // ... holding exactly the trained weights: the checkpoint's model gives the engine's logits.
            string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
            var trained = new LlamaTrainModel(TrainCheckpoint.ReadConfig(ckpt));
            TrainCheckpoint.Load(ckpt, trained, new Tokamak.Training.Optim.AdamW(trained.Layout));
            int[] tokens = ModelLoaderTokens(outDir, "Tom saw a big dog. Sue was happy");
            ExportTests.AssertClose(ExportTests.InferenceLogits(outDir, tokens), ExportTests.TrainingLogits(trained, tokens), 1e-4);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static int[] ModelLoaderTokens(string model, string text)
    {
        using var loaded = ModelLoader.Load(model);
        return loaded.Tokenizer.Encode(text);
    }

    [Fact]
    public void ShapeComesFromModelConfigWithInlineOverrides()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-shape");
        try
        {
            string json = Path.Combine(dir.FullName, "shape.json");
            File.WriteAllText(json, """
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300, "max_position_embeddings": 128,
                 "rope_theta": 1000000.0, "tie_word_embeddings": true, "rms_norm_eps": 1e-6}
                """);
            var c = TrainConfig.Parse($"model_config: {json}\nnum_hidden_layers: 2\nstage: pt\nfinetuning_type: full\noutput_dir: o\ndataset: d\n");
            var m = c.Shape.Build(c.ModelConfig, tokenizerVocab: 256, bos: 1, eos: 2, cutoffLen: 64);
            Assert.Equal((64, 2, 4, 2, 16, 300), (m.HiddenSize, m.Layers, m.Heads, m.KvHeads, m.HeadDim, m.VocabSize));
            Assert.True(m.QkvBias); // Qwen2 carries q/k/v biases
            Assert.Equal(1_000_000f, m.RopeTheta);
            Assert.Equal([2], m.EosTokenIds);
            var e = Assert.Throws<InvalidDataException>(() => c.Shape.Build(c.ModelConfig, tokenizerVocab: 500, null, null, 64));
            Assert.Contains("vocab_size 300 is smaller than the tokenizer's 500", e.Message);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void ScratchConfigErrorsNameTheProblem()
    {
        const string tail = "stage: pt\noutput_dir: o\ndataset: d\n";
        var e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse("finetuning_type: full\n" + tail, "x.yaml"));
        Assert.Contains("model_name_or_path", e.Message);
        e = Assert.Throws<InvalidDataException>(() => new TrainingRun(TrainConfig.Parse("hidden_size: 8\nfinetuning_type: lora\n" + tail, "x.yaml")).Run());
        Assert.Contains("lora needs a base model", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse("model_name_or_path: m\nhidden_size: 8\n" + tail, "x.yaml"));
        Assert.Contains("x.yaml:2", e.Message);
        var c = TrainConfig.Parse("hidden_size: 32\nnum_attention_heads: 4\nfinetuning_type: full\n" + tail, "x.yaml");
        e = Assert.Throws<InvalidDataException>(() => c.Shape.Build(null, 100, null, null, 64));
        Assert.Contains("num_hidden_layers", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse("hidden_size: 8\nfinetuning_type: full\nbf16: true\nfp16: true\n" + tail, "x.yaml"));
        Assert.Contains("x.yaml:4", e.Message);
    }
}
