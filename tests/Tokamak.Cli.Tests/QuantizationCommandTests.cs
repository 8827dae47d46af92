using System.Text.Json;

namespace Tokamak.Cli.Tests;

/// <summary><c>tokamak gptq --out</c>, <c>tokamak smoothquant</c> and <c>--kv-cache-dtype</c> from the command line.</summary>
public sealed class QuantizationCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-qcli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Calibration()
    {
        string path = Path.Combine(_dir, "calib.txt");
        File.WriteAllText(path, File.ReadAllText(TestPaths.Reference("llamacpp/perplexity/stories260K_generated_30.txt"))[..4000]);
        return path;
    }

    [Fact]
    public void GptqOutWritesAGgufThatGenerates()
    {
        string model = TestPaths.Model("tinystories-656k"), outPath = Path.Combine(_dir, "g.gguf");
        var r = CliRunner.Run("gptq", "--model", model, "--calibration", Calibration(), "--samples", "4", "--seq-len", "64", "--out", outPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("q4_0", r.Stderr);
        var g = CliRunner.Run("generate", "--model", outPath, "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "8", "--format", "json");
        Assert.True(g.ExitCode == 0, g.Stderr);
        Assert.Equal(8, JsonDocument.Parse(g.Stdout).RootElement.GetProperty("ids").GetArrayLength());
    }

    [Fact]
    public void SmoothQuantReportsEveryMethod()
    {
        var r = CliRunner.Run("smoothquant", "--model", TestPaths.Model("stories260k/stories260K.gguf"), "--calibration", Calibration(),
            "--samples", "4", "--seq-len", "64", "--eval", Calibration(), "--outliers", "6");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (string m in new[] { "w8a8 per-tensor", "w8a8 per-token", "smoothquant a=0.5", "llm.int8 >6", "smooth+outliers" })
            Assert.Contains(m, r.Stdout);
    }

    [Fact]
    public void BadArgumentsAreOneLineErrors()
    {
        string model = TestPaths.Model("stories260k/stories260K.gguf");
        CliRunner.AssertOneLineError(CliRunner.Run("gptq", "--model", model, "--calibration", Calibration()), "--out");
        CliRunner.AssertOneLineError(CliRunner.Run("smoothquant", "--model", model, "--calibration", Calibration(), "--eval", Calibration(), "--alpha", "1.5"), "alpha");
        CliRunner.AssertOneLineError(CliRunner.Run("bench", "serve", "--model", model, "--kv-cache-dtype", "fp8", "--requests", "1"), "fp8");
    }
}
