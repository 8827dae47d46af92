using System.Text.Json.Nodes;
using Tokamak.Data;
using Tokamak.Data.Filters;
using Tokamak.Data.Formats;
using Tokamak.Data.Output;
using Tokamak.Data.Readers;

namespace Tokamak.Tests.Data;

public class PipelineTests
{
    [Fact]
    public void ShareGptFixture_EndToEnd_WritesJsonlAndReport()
    {
        var reg = DatasetRegistry.Load(DataFixtures.Path("dataset_info.json"));
        var report = new DataReport();
        var pipeline = DataPipeline.FromOptions(new QualityOptions());
        var examples = pipeline.ProcessDataset(reg["chat"], DataFixtures.Dir, report, new ReaderOptions { OnError = ErrorPolicy.Skip }).ToList();

        // Lines 1, 2, 4 are valid; 3 is truncated JSON (reader skip); 6 starts with the assistant (role order).
        Assert.Equal(["sharegpt_truncated.jsonl:1", "sharegpt_truncated.jsonl:2", "sharegpt_truncated.jsonl:4"], examples.Select(e => e.Origin));
        Assert.Equal((4L, 1L, 3L), (report.RecordsRead, report.ReaderSkipped, report.Kept));
        Assert.Equal(1, report.Dropped[DropReasons.InvalidRoleOrder]);
        Assert.Equal("be brief", examples[1].System);
        Assert.Equal("sys", examples[2].System);
        Assert.Equal([Role.User, Role.FunctionCall, Role.Observation, Role.Assistant], examples[2].Turns.Select(t => t.Role));

        var dir = Path.Combine(Path.GetTempPath(), $"tokamak-out-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var outPath = Path.Combine(dir, "examples.jsonl");
            Assert.Equal(3, ExampleJsonl.WriteFile(examples, outPath));
            ReportFiles.Write(report, dir);

            var lines = File.ReadAllLines(outPath);
            Assert.Equal(3, lines.Length);
            Assert.Equal("""{"messages":[{"role":"user","content":"hello"},{"role":"assistant","content":"hi there"}]}""", lines[0]);

            // Read our own output back through the converter as an OpenAI-style dataset with our role names.
            var ours = new DatasetInfo
            {
                Name = "ours", FileName = "examples.jsonl", Formatting = DatasetFormat.OpenAi,
                Columns = new DatasetColumns { Messages = "messages", System = "system", Tools = "tools" },
                Tags = DatasetTags.OpenAi with { FunctionTag = "function", ObservationTag = "observation" },
            };
            var back = new DataPipeline([]).ProcessDataset(ours, dir, new DataReport()).ToList();
            Assert.Equal(examples.Count, back.Count);
            for (int i = 0; i < back.Count; i++)
            {
                Assert.Equal(examples[i].Turns, back[i].Turns);
                Assert.Equal(examples[i].System, back[i].System);
            }

            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
            Assert.Equal(4, (long)json["records_read"]!);
            Assert.Equal(1, (long)json["reader_skipped"]!);
            Assert.Equal(3, (long)json["kept"]!);
            Assert.Equal(1, (long)json["dropped"]![DropReasons.InvalidRoleOrder]!);
            Assert.StartsWith("sharegpt_truncated.jsonl:3:", (string)json["reader_errors"]![0]!);
            var text = File.ReadAllText(Path.Combine(dir, "report.txt"));
            Assert.Contains("invalid_role_order", text);
            Assert.Contains("near_dedup", text);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private sealed class LengthScorer : IPerplexityScorer
    {
        public double Score(string text) => text.Length;
    }

    [Fact]
    public void StageCounts_ChainAndMatchKept()
    {
        var rng = new Random(4);
        var docs = new List<UnifiedExample>();
        for (int i = 0; i < 50; i++)
        {
            var text = string.Join(' ', Enumerable.Range(0, 20 + i).Select(_ => "w" + rng.Next(10_000)));
            docs.Add(new UnifiedExample { Content = text });
            if (i % 5 == 0) docs.Add(new UnifiedExample { Content = text.ToUpperInvariant() + "!" }); // exact dup after normalization
        }
        docs.Add(new UnifiedExample { Content = "tiny" });
        var report = new DataReport();
        var options = new QualityOptions { Length = new LengthFilter { MinWords = 3 }, PerplexityScorer = new LengthScorer(), PerplexityPercentile = 80 };
        var kept = DataPipeline.FromOptions(options).Filter(docs, report).ToList();

        Assert.Equal(1, report.Dropped[DropReasons.TooFewWords]);
        Assert.Equal(10, report.Dropped[DropReasons.ExactDuplicate]);
        Assert.Equal(10, report.Dropped[DropReasons.Perplexity]); // 50 survivors of distinct lengths: top 20% (10) above the 80th percentile
        Assert.Equal(40, kept.Count);
        Assert.Equal(kept.Count, report.Kept);
        long entering = docs.Count;
        foreach (var s in report.Stages)
        {
            Assert.Equal(entering, s.Kept + s.Dropped);
            entering = s.Kept;
        }
        Assert.Equal(kept.Count, entering);
    }
}
