using BenchmarkDotNet.Attributes;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Bench;

/// <summary>
/// Encode/decode throughput of the Qwen3 and Llama 3 tokenizer.json tokenizers on mixed-script text
/// (the 71 reference strings of shared/reference/tools/strings.json, repeated). Needs ../shared beside the checkout
/// or TOKAMAK_SHARED.
/// </summary>
[MemoryDiagnoser]
public class TokenizerEncodeBench
{
    private HfTokenizer _tokenizer = null!;
    private string _text = "";
    private int[] _ids = [];

    [Params("qwen3", "llama3")]
    public string Name { get; set; } = "qwen3";

    [GlobalSetup]
    public void Setup()
    {
        string shared = FindShared();
        _tokenizer = HfTokenizer.FromDirectory(Path.Combine(shared, "tokenizers", Name));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(shared, "reference", "tools", "strings.json")));
        var strings = Flatten(doc.RootElement.GetProperty("strings")).ToList();
        _text = string.Concat(Enumerable.Repeat(string.Join("\n", strings), 10));
        _ids = _tokenizer.Encode(_text);
    }

    [Benchmark]
    public int Encode() => _tokenizer.Encode(_text).Length;

    /// <summary>
    /// <c>tokenizer-speed</c>: encode tokens/s and MB/s per tokenizer (median of 7 passes after a warm-up), the
    /// figure docs/benchmarks.md records; BenchmarkDotNet's per-call times above give the distribution.
    /// </summary>
    public static int RunSpeed()
    {
        foreach (string name in new[] { "qwen3", "llama3" })
        {
            var b = new TokenizerEncodeBench { Name = name };
            b.Setup();
            var times = new List<double>();
            for (int i = 0; i < 8; i++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                b.Encode();
                if (i > 0) times.Add(sw.Elapsed.TotalSeconds);
            }
            double t = times.Order().ElementAt(times.Count / 2);
            double mb = System.Text.Encoding.UTF8.GetByteCount(b._text) / 1e6;
            Console.WriteLine($"{name}: {b._ids.Length} tokens, {mb:F2} MB UTF-8 → {b._ids.Length / t / 1e6:F2} M tokens/s, {mb / t:F1} MB/s");
        }
        return 0;
    }

    [Benchmark]
    public int Decode() => _tokenizer.Decode(_ids).Length;

    [Benchmark]
    public int Stream()
    {
        var streamer = new StreamingDetokenizer(_tokenizer);
        int chars = 0;
        foreach (int id in _ids) chars += streamer.Next(id).Length;
        return chars + streamer.Flush().Length;
    }

    private static IEnumerable<string> Flatten(System.Text.Json.JsonElement e) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => [e.GetString()!],
        System.Text.Json.JsonValueKind.Array => e.EnumerateArray().SelectMany(Flatten),
        System.Text.Json.JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Flatten(p.Value)),
        _ => [],
    };

    private static string FindShared()
    {
        var env = Environment.GetEnvironmentVariable("TOKAMAK_SHARED");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "reference"))) return Path.Combine(dir.FullName, "shared");
        throw new DirectoryNotFoundException("shared/ fixtures not found (set TOKAMAK_SHARED)");
    }
}
