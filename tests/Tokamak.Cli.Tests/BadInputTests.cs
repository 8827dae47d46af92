namespace Tokamak.Cli.Tests;

/// <summary>Every kind of bad input ends in one line on stderr and a non-zero exit, never a stack trace or a hang.</summary>
public class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CopyHfModel(string name)
    {
        string dst = Path.Combine(_dir, name);
        Directory.CreateDirectory(dst);
        foreach (string f in Directory.GetFiles(TestPaths.Model("tinystories-656k")))
            File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        return dst;
    }

    private static CliRunner.Result Generate(string model, params string[] extra) =>
        CliRunner.Run(["generate", "--model", model, "--prompt", "Once", .. extra.Contains("--max-tokens") ? [] : new[] { "--max-tokens", "4" }, .. extra]);

    [Fact]
    public void MissingModel() => CliRunner.AssertOneLineError(Generate(Path.Combine(_dir, "nope")), "not found");

    [Fact]
    public void TruncatedSafetensors()
    {
        string m = CopyHfModel("trunc");
        string st = Path.Combine(m, "model.safetensors");
        var bytes = File.ReadAllBytes(st);
        File.WriteAllBytes(st, bytes[..(bytes.Length / 2)]);
        CliRunner.AssertOneLineError(Generate(m), "truncated");
    }

    [Fact]
    public void GarbageSafetensorsHeader()
    {
        string m = CopyHfModel("garbage");
        string st = Path.Combine(m, "model.safetensors");
        var bytes = File.ReadAllBytes(st);
        for (int i = 8; i < 40; i++) bytes[i] = (byte)'#';
        File.WriteAllBytes(st, bytes);
        CliRunner.AssertOneLineError(Generate(m), "safetensors");
    }

    [Fact]
    public void TruncatedGguf()
    {
        string g = Path.Combine(_dir, "t.gguf");
        var bytes = File.ReadAllBytes(TestPaths.Model("stories260k/stories260K.gguf"));
        File.WriteAllBytes(g, bytes[..(bytes.Length - 1000)]);
        CliRunner.AssertOneLineError(Generate(g), "truncated");
    }

    [Fact]
    public void GgufWithCorruptHeader()
    {
        string g = Path.Combine(_dir, "c.gguf");
        var bytes = File.ReadAllBytes(TestPaths.Model("stories260k/stories260K.gguf"));
        File.WriteAllBytes(g, bytes[..4000]); // cut inside the metadata
        CliRunner.AssertOneLineError(Generate(g), "gguf");
    }

    [Fact]
    public void NotAGgufFile()
    {
        string g = Path.Combine(_dir, "x.gguf");
        File.WriteAllText(g, "this is not a model at all, just some text that is long enough");
        CliRunner.AssertOneLineError(Generate(g), "not a GGUF");
    }

    [Fact]
    public void MissingTokenizer()
    {
        string m = CopyHfModel("notok");
        File.Delete(Path.Combine(m, "tokenizer.json"));
        CliRunner.AssertOneLineError(Generate(m), "tokenizer");
    }

    [Fact]
    public void UnknownArchitectureIsNamed()
    {
        string m = CopyHfModel("arch");
        string cfg = Path.Combine(m, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        CliRunner.AssertOneLineError(Generate(m), "GPT2LMHeadModel");
    }

    [Theory]
    [InlineData("--temperature", "-1", "temperature")]
    [InlineData("--top-p", "1.5", "top_p")]
    [InlineData("--min-p", "7", "min_p")]
    [InlineData("--max-tokens", "0", "max_tokens")]
    [InlineData("--threads", "0", "threads")]
    public void OutOfRangeSamplingParameter(string option, string value, string name) =>
        CliRunner.AssertOneLineError(Generate(TestPaths.Model("stories260k/stories260K.gguf"), option, value), name);

    [Fact]
    public void NonNumericOptionIsAParseError()
    {
        var r = Generate(TestPaths.Model("stories260k/stories260K.gguf"), "--temperature", "hot");
        CliRunner.AssertOneLineError(r, "hot");
    }
}
