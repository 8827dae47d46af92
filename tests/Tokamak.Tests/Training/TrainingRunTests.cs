using Tokamak.Training;
using Tokamak.Training.Config;
using Tokamak.Training.Optim;

namespace Tokamak.Tests.Training;

public class TrainingRunTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void YamlErrorsNameTheKeyAndLine()
    {
        const string ok = "model_name_or_path: m\noutput_dir: o\ndataset: [a, b]  # two sets\nlearning_rate: 1.0e-4\nlora_target: q_proj,v_proj\n";
        var c = TrainConfig.Parse(ok);
        Assert.Equal(["a", "b"], c.Dataset);
        Assert.Equal(1e-4f, c.LearningRate);
        var e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse(ok + "learning_rte: 3\n", "x.yaml"));
        Assert.Equal("x.yaml:6: unknown key 'learning_rte'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse("max_steps: ten\n" + ok, "x.yaml"));
        Assert.Contains("x.yaml:1: 'max_steps'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse(ok + "stage: ppo\n", "x.yaml"));
        Assert.Contains("x.yaml:6: 'stage': expected one of pt, sft, rm, dpo", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse(ok + "seed: 1\nseed: 2\n", "x.yaml"));
        Assert.Contains("x.yaml:7: key 'seed' repeats", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse(ok + "lora:\n  rank: 8\n", "x.yaml"));
        Assert.Contains("x.yaml:7: nested mappings", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainConfig.Parse(ok.Replace("q_proj,v_proj", "q_proj,wq"), "x.yaml"));
        Assert.Contains("x.yaml:5", e.Message);
        Assert.Contains("wq", e.Message);
    }

    [Fact]
    public void ExampleConfigsParse()
    {
        foreach (var f in Directory.GetFiles(FindExamples(), "*.yaml", SearchOption.AllDirectories)) TrainConfig.Load(f);
    }

    private static string FindExamples()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "examples", "train"))) return Path.Combine(d.FullName, "examples", "train");
        throw new DirectoryNotFoundException("examples/train not found");
    }

    private static string WriteChatSet(string dir, int n)
    {
        string[] names = ["Lily", "Tom", "Sue", "Ben", "Max", "Amy"];
        string[] things = ["a red ball", "a big dog", "a small cat", "a blue car", "a tall tree"];
        using (var w = new StreamWriter(Path.Combine(dir, "chat.jsonl")))
            for (int i = 0; i < n; i++)
            {
                string who = names[i % names.Length], what = things[i % things.Length];
                w.WriteLine($"{{\"instruction\": \"What did {who} see?\", \"input\": \"\", \"output\": \"{who} saw {what} in the park.\"}}");
            }
        File.WriteAllText(Path.Combine(dir, "dataset_info.json"), "{\"chat\": {\"file_name\": \"chat.jsonl\"}}");
        return dir;
    }

    private static TrainConfig Config(string dir, string extra) => TrainConfig.Parse($"""
        model_name_or_path: {TestPaths.Model("tinystories-656k")}
        stage: sft
        finetuning_type: lora
        lora_rank: 4
        lora_target: all
        dataset: chat
        dataset_dir: {dir}
        template: chatml
        cutoff_len: 64
        learning_rate: 3.0e-3
        per_device_train_batch_size: 4
        lr_scheduler_type: cosine
        warmup_steps: 2
        output_dir: {Path.Combine(dir, "out")}
        logging_steps: 5
        seed: 7
        {extra}
        """);

    [Fact]
    public void LoraSftLowersHeldOutLossAndWritesAnAdapter()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-run");
        try
        {
            WriteChatSet(dir.FullName, 40);
            var lines = new List<string>();
            var result = new TrainingRun(Config(dir.FullName, "max_steps: 24\nval_size: 8\neval_steps: 1\nsave_steps: 12"), lines.Add).Run();
            Assert.Equal(24, result.Steps);
            var log = File.ReadAllLines(Path.Combine(dir.FullName, "out", "trainer_log.jsonl"));
            Assert.Equal(24, log.Length);
            double firstEval = System.Text.Json.JsonDocument.Parse(log[0]).RootElement.GetProperty("eval_loss").GetDouble();
            Assert.True(result.BestValLoss < firstEval - 0.2, $"held-out loss {firstEval:F3} → {result.BestValLoss:F3}");
            Assert.True(File.Exists(Path.Combine(dir.FullName, "out", "adapter_model.safetensors")));
            Assert.Contains(lines, l => l.Contains("tok/s"));
            foreach (var l in lines) output.WriteLine(l);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void ResumedRunEqualsStraightRun()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-resume");
        try
        {
            WriteChatSet(dir.FullName, 24);
            string a = Path.Combine(dir.FullName, "a"), b = Path.Combine(dir.FullName, "b");
            Directory.CreateDirectory(a); Directory.CreateDirectory(b);
            foreach (var d in new[] { a, b }) foreach (var f in new[] { "chat.jsonl", "dataset_info.json" }) File.Copy(Path.Combine(dir.FullName, f), Path.Combine(d, f));
            new TrainingRun(Config(a, "max_steps: 20\nsave_steps: 10\nlora_dropout: 0.1")).Run();
            Assert.Equal(10, new TrainingRun(Config(b, "max_steps: 20\nsave_steps: 10\nlora_dropout: 0.1")).Run(stopAfterStep: 10).Steps);
            // The second half continues the first: same schedule length, resumed from the step-10 checkpoint.
            var second = Config(b, "max_steps: 20\nsave_steps: 10\nlora_dropout: 0.1");
            second.ResumeFromCheckpoint = "true";
            Assert.Equal(20, new TrainingRun(second).Run().Steps);
            var straight = new CheckpointReader(Path.Combine(a, "out", "checkpoint.safetensors"));
            var resumed = new CheckpointReader(Path.Combine(b, "out", "checkpoint.safetensors"));
            int compared = 0;
            foreach (var name in straight.Names.Where(n => n.Contains("lora_")))
            {
                int len = straight.Shape(name).Aggregate(1, (x, y) => x * y);
                var x1 = new float[len]; var x2 = new float[len];
                straight.Read(name, x1); resumed.Read(name, x2);
                for (int i = 0; i < len; i++) Assert.True(Math.Abs(x1[i] - x2[i]) <= 1e-6, $"{name}[{i}] {x1[i]} vs {x2[i]}");
                compared++;
            }
            Assert.True(compared > 0);
        }
        finally { dir.Delete(recursive: true); }
    }

    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long _written;
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfter) throw new IOException("simulated crash during save");
            inner.Write(buffer);
            _written += buffer.Length;
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void AFailedSaveLeavesThePreviousCheckpointLoadable()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-atomic");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.safetensors");
            var m = new LlamaTrainModel(TinyConfigs.Llama());
            m.InitializeWeights(1);
            var opt = new AdamW(m.Layout);
            TrainCheckpoint.Save(path, m, opt);
            var saved = (float[])m.Parameters.Clone();
            for (int i = 0; i < m.Parameters.Length; i++) m.Parameters[i] += 1f;
            var tensors = m.Layout.Tensors.Select(t => (t.Name, t.Shape, (ReadOnlyMemory<float>)m.Parameters.AsMemory((int)t.Offset, (int)t.Length))).ToList();
            Assert.Throws<IOException>(() => CheckpointWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "tokamak-train-v1" }, s => new FailingStream(s, 3000)));
            Assert.False(File.Exists(path + ".tmp"));
            var fresh = new LlamaTrainModel(TinyConfigs.Llama());
            TrainCheckpoint.Load(path, fresh, new AdamW(fresh.Layout));
            Assert.Equal(saved, fresh.Parameters);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void PrefetcherDeliversInOrderAndSurfacesErrors()
    {
        using (var p = new BatchPrefetcher<int>(Enumerable.Range(0, 100), capacity: 3))
        {
            var got = new List<int>();
            while (p.TryTake(out int x)) got.Add(x);
            Assert.Equal(Enumerable.Range(0, 100), got);
        }
        static IEnumerable<int> Broken() { yield return 1; throw new InvalidDataException("bad record 2"); }
        using var q = new BatchPrefetcher<int>(Broken());
        Assert.True(q.TryTake(out _));
        var e = Assert.Throws<InvalidOperationException>(() => q.TryTake(out _));
        Assert.Contains("bad record 2", e.Message);
    }
}
