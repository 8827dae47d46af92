using System.Diagnostics;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;
using Tokamak.Tensors;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Bench;

/// <summary>
/// Aggregate decode throughput of <see cref="LlmEngine"/> at several concurrency levels on a random-weight
/// Llama-shaped model (greedy, EOS ignored, fixed prompt and generation lengths).
/// Usage: <c>engine-decode --tokenizer DIR [--hidden 512 --layers 8 --heads 8 --kv-heads 4 --ff 1408] [--gen 64] [--prompt 32] [--concurrency 1,4,16]</c>.
/// The tokenizer folder (tokenizer.json) fixes the vocabulary size.
/// </summary>
internal static class EngineDecodeBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        string tokDir = Arg("--tokenizer", "");
        if (tokDir.Length == 0 || !File.Exists(Path.Combine(tokDir, "tokenizer.json")))
        {
            Console.Error.WriteLine("engine-decode: --tokenizer DIR (a folder with tokenizer.json) is required");
            return 2;
        }
        int gen = int.Parse(Arg("--gen", "64")), promptLen = int.Parse(Arg("--prompt", "32"));
        int[] levels = Arg("--concurrency", "1,4,16").Split(',').Select(int.Parse).ToArray();
        var tokenizer = HfTokenizer.FromDirectory(tokDir);

        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-engine-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            string configPath = Path.Combine(dir, "source-config.json");
            File.WriteAllText(configPath, $$"""
                {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":{{Arg("--hidden", "512")}},
                 "intermediate_size":{{Arg("--ff", "1408")}},"num_hidden_layers":{{Arg("--layers", "8")}},
                 "num_attention_heads":{{Arg("--heads", "8")}},"num_key_value_heads":{{Arg("--kv-heads", "4")}},
                 "vocab_size":{{tokenizer.VocabSize}},"max_position_embeddings":2048,"rms_norm_eps":1e-6,
                 "rope_theta":10000.0,"tie_word_embeddings":true}
                """);
            string modelDir = Path.Combine(dir, "model");
            RandomModelWriter.Write(configPath, modelDir, DType.F32, 1, tokDir);
            using var w = WeightsLoader.Load(modelDir);
            var rng = new Random(1);
            foreach (int c in levels)
            {
                using var engine = new LlmEngine(w.Config, w.Weights, tokenizer, new EngineOptions
                {
                    KvCacheBytes = 256L << 20, MaxNumSeqs = Math.Max(c, 1), MaxBatchedTokens = Math.Max(512, c), EnablePrefixCaching = false,
                });
                var sw = Stopwatch.StartNew();
                var tasks = Enumerable.Range(0, c).Select(i => Task.Run(async () =>
                {
                    var prompt = Enumerable.Range(0, promptLen).Select(_ => rng.Next(3, tokenizer.VocabSize)).ToArray();
                    var h = engine.Submit(new EngineRequest
                    {
                        RequestId = $"b{i}", PromptTokenIds = prompt,
                        Sampling = new SamplingParams { Temperature = 0, MaxTokens = gen, IgnoreEos = true },
                    });
                    await foreach (var _ in h) { }
                    return await h.Completion;
                })).ToArray();
                Task.WaitAll(tasks);
                sw.Stop();
                long generated = tasks.Sum(t => (long)t.Result.CompletionTokens);
                var m = engine.Metrics;
                Console.WriteLine($"concurrency {c,3}: {generated} tokens in {sw.Elapsed.TotalSeconds:F2} s = {generated / sw.Elapsed.TotalSeconds:F1} tok/s aggregate ({m.Steps} steps, {m.Preemptions} preemptions)");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
