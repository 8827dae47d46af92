using Tokamak.Data.Output;
using Tokamak.Data.Preparation;
using Tokamak.Data.Rendering;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;
using Tokamak.Training;
using Tokamak.Training.Config;

namespace Tokamak.Tests.Data;

/// <summary>The trainer's <c>tokenized_path</c> against <c>tokamak data prepare</c>'s shards.</summary>
public class TokenizedPathTests
{
    private static void WriteChatSet(string dir)
    {
        string[] names = ["Lily", "Tom", "Sue", "Ben"], things = ["a red ball", "a big dog", "a small cat"];
        using (var w = new StreamWriter(Path.Combine(dir, "chat.jsonl")))
            for (int i = 0; i < 12; i++)
                w.WriteLine($"{{\"instruction\": \"What did {names[i % 4]} see?\", \"input\": \"\", \"output\": \"{names[i % 4]} saw {things[i % 3]}.\"}}");
        File.WriteAllText(Path.Combine(dir, "dataset_info.json"), "{\"chat\": {\"file_name\": \"chat.jsonl\"}}");
    }

    private static TrainConfig Config(string datasetDir, string outDir, string extra) => TrainConfig.Parse($"""
        model_name_or_path: {TestPaths.Model("tinystories-656k")}
        stage: sft
        finetuning_type: lora
        lora_rank: 2
        dataset_dir: {datasetDir}
        template: chatml
        cutoff_len: 64
        learning_rate: 1.0e-3
        per_device_train_batch_size: 4
        max_steps: 3
        save_steps: 0
        output_dir: {outDir}
        seed: 3
        {extra}
        """);

    [Fact]
    public void TrainerSavesTheSameShardsAsPrepare_AndTrainsIdenticallyFromThem()
    {
        var dir = Directory.CreateTempSubdirectory("tokamak-tokpath");
        try
        {
            string d = dir.FullName;
            WriteChatSet(d);
            var tok = HfTokenizer.FromDirectory(TestPaths.Model("tinystories-656k"));
            new DataPreparer(tok, new ChatTemplate(TrainingRun.ChatMlSource, null, null), new PrepareOptions
            {
                DatasetDir = d, Datasets = ["chat"], OutDir = Path.Combine(d, "prepared"), Render = new RenderOptions(64), Plots = false,
            }).Run();

            // 1) No shards yet: the trainer renders the dataset and saves them (LLaMA-Factory's tokenized_path).
            var rendered = new TrainingRun(Config(d, Path.Combine(d, "run1"), $"dataset: chat\ntokenized_path: {Path.Combine(d, "saved")}")).Run();
            var saved = TokenizedShards.Read(Path.Combine(d, "saved")).ToList();
            var prepared = TokenizedShards.Read(Path.Combine(d, "prepared")).ToList();
            Assert.Equal(12, prepared.Count);
            Assert.Equal(prepared.Select(p => p.Ids), saved.Select(s => s.Ids));
            Assert.Equal(prepared.Select(p => p.LossMask), saved.Select(s => s.LossMask));

            // 2) Shards present: no dataset needed (dataset_dir does not even exist); same data → same training.
            var loaded = new TrainingRun(Config(Path.Combine(d, "nowhere"), Path.Combine(d, "run2"), $"tokenized_path: {Path.Combine(d, "prepared")}")).Run();
            Assert.Equal(rendered.Steps, loaded.Steps);
            Assert.Equal(rendered.FinalLoss, loaded.FinalLoss);

            // 3) A preference stage cannot train on sequence shards.
            var c = Config(d, Path.Combine(d, "run3"), $"tokenized_path: {Path.Combine(d, "prepared")}");
            c.Stage = "rm";
            Assert.Throws<InvalidDataException>(() => new TrainingRun(c).Run());
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void ShardLinesAreValidated()
    {
        Assert.Equal([true, false], TokenizedShards.ParseLine("""{"input_ids":[5,6],"labels":[5,-100]}""", "x").LossMask!);
        var e = Assert.Throws<InvalidDataException>(() => TokenizedShards.ParseLine("""{"input_ids":[5,6],"labels":[5]}""", "s.jsonl:3"));
        Assert.StartsWith("s.jsonl:3: bad tokenized record: 1 labels for 2 input_ids", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TokenizedShards.ParseLine("""{"input_ids":[5,6],"labels":[5,7]}""", "s.jsonl:4"));
        Assert.Contains("label 1 is 7", e.Message);
        Assert.Throws<InvalidDataException>(() => TokenizedShards.ParseLine("{oops", "s.jsonl:5"));
        Assert.Throws<FileNotFoundException>(() => TokenizedShards.ReadManifest(Path.GetTempPath()));
    }
}
