using System.Text.Json;

namespace Tokamak.Cli.Tests;

/// <summary><c>tokamak data prepare</c> / <c>inspect</c> end to end on a small generated dataset folder.</summary>
public class DataCommandTests
{
    private static string DatasetDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tokamak-data-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "dataset_info.json"), """{"qa": {"file_name": "qa.jsonl"}, "bad": {"file_name": "bad.jsonl"}}""");
        File.WriteAllLines(Path.Combine(dir, "qa.jsonl"),
        [
            """{"instruction": "Summarize the following text", "input": "Lily had a red ball.", "output": "Lily had a ball."}""",
            """{"instruction": "Summarize the following text", "input": "Lily had a red ball.", "output": "Lily had a ball."}""",
            """{"指示": "Who is Tom?", "输出": "Tom is a boy."}""",
            """{"instruction": "", "output": "nothing"}""",
        ]);
        File.WriteAllLines(Path.Combine(dir, "bad.jsonl"), ["""{"instruction": "a", "output": "b"}""", """{"instruction": """]);
        return dir;
    }

    private static string Model => TestPaths.Model("tinystories-656k");

    [Fact]
    public void PrepareWritesShardsReportAndHistograms()
    {
        string dir = DatasetDir(), outDir = Path.Combine(dir, "out");
        var r = CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "qa", "--model", Model, "--template", "chatml",
            "--out", outDir, "--dedup", "--cutoff-len", "128");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(4, report.RootElement.GetProperty("records_read").GetInt64());
        Assert.Equal(2, report.RootElement.GetProperty("kept").GetInt64());
        Assert.Equal(1, report.RootElement.GetProperty("dropped").GetProperty("exact_duplicate").GetInt64());
        Assert.Equal(1, report.RootElement.GetProperty("dropped").GetProperty("missing_instruction").GetInt64());
        Assert.Contains("exact_dedup", r.Stdout);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "tokenized.json")));
        Assert.Equal(2, manifest.RootElement.GetProperty("examples").GetInt64());
        var line = File.ReadLines(Path.Combine(outDir, "shard-00000.jsonl")).First();
        using var rec = JsonDocument.Parse(line);
        var ids = rec.RootElement.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var labels = rec.RootElement.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        Assert.Equal(ids.Length, labels.Length);
        Assert.Contains(-100, labels);
        Assert.Contains(labels, l => l >= 0);
        Assert.True(File.Exists(Path.Combine(outDir, "length_tokens.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.txt")));
    }

    [Fact]
    public void InspectMarksTheMaskedPrompt()
    {
        string dir = DatasetDir();
        var r = CliRunner.Run("data", "inspect", "--dataset-dir", dir, "--dataset", "qa", "--model", Model, "--template", "chatml", "-n", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The prompt (with both chat headers) is inside ⟦ ⟧; the answer and its terminator are outside.
        Assert.Contains("⟦<|im_start|>user\nSummarize the following text\nLily had a red ball.<|im_end|>\n<|im_start|>assistant\n⟧Lily had a ball.<|im_end|>\n", r.Stdout.ReplaceLineEndings("\n"));
        Assert.Contains("=== example 1", r.Stdout);
        Assert.DoesNotContain("=== example 2", r.Stdout);
    }

    [Fact]
    public void BadInputsFailWithOneLine()
    {
        string dir = DatasetDir();
        CliRunner.AssertOneLineError(CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "bad", "--model", Model, "--template", "chatml", "--out", Path.Combine(dir, "o")), "bad.jsonl:2");
        CliRunner.AssertOneLineError(CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "nope", "--model", Model, "--template", "chatml", "--out", Path.Combine(dir, "o")), "'nope'");
        CliRunner.AssertOneLineError(CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "qa", "--model", Model, "--out", Path.Combine(dir, "o")), "no chat template");
        CliRunner.AssertOneLineError(CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "qa", "--model", Model, "--template", "chatml", "--stage", "ppo", "--out", Path.Combine(dir, "o")), "--stage");
        var skip = CliRunner.Run("data", "prepare", "--dataset-dir", dir, "--dataset", "bad", "--model", Model, "--template", "chatml", "--out", Path.Combine(dir, "o"), "--on-error", "skip", "--no-plots");
        Assert.True(skip.ExitCode == 0, skip.Stderr);
        Assert.Contains("reader skipped: 1", skip.Stdout);
    }
}
