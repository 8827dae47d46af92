using System.Text.Json;

namespace Tokamak.Data.Output;

/// <summary>
/// The on-disk layout of tokenized training data, read by the trainer's <c>tokenized_path</c>:
/// a folder with <c>tokenized.json</c> (manifest: format, stage, example and token counts, shard file names) and
/// shards <c>shard-00000.jsonl</c>, … — one JSON object per line, either
/// <c>{"input_ids":[…],"labels":[…]}</c> with labels = the id where the token is trained and −100 where it is masked
/// (Hugging Face's ignore index), or <c>{"prompt_ids":[…],"chosen_ids":[…],"rejected_ids":[…]}</c> for rm/dpo.
/// </summary>
public static class TokenizedShards
{
    /// <summary>Manifest file name inside the folder.</summary>
    public const string ManifestName = "tokenized.json";

    /// <summary>Format tag written in the manifest.</summary>
    public const string Format = "tokamak-tokenized-v1";

    /// <summary>Label of a masked token.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>True when <paramref name="directory"/> holds a manifest.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, ManifestName));

    /// <summary>Reads the manifest of <paramref name="directory"/>.</summary>
    public static TokenizedManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory}: no {ManifestName} (not a tokenized dataset folder; create one with 'tokamak data prepare')", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            string format = root.GetProperty("format").GetString() ?? "";
            if (format != Format) throw new InvalidDataException($"{path}: format '{format}' is not {Format}");
            return new TokenizedManifest(
                root.GetProperty("stage").GetString() ?? throw new InvalidDataException($"{path}: 'stage' is null"),
                root.GetProperty("examples").GetInt64(),
                root.GetProperty("tokens").GetInt64(),
                root.GetProperty("shards").EnumerateArray().Select(s => s.GetString()!).ToList());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: malformed manifest: {e.Message}", e);
        }
    }

    /// <summary>Streams every record of the folder's shards in order.</summary>
    public static IEnumerable<TokenizedRecord> Read(string directory)
    {
        var manifest = ReadManifest(directory);
        foreach (var shard in manifest.Shards)
        {
            string path = Path.Combine(directory, shard);
            using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            long line = 0;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (text.Length == 0) continue;
                yield return ParseLine(text, $"{shard}:{line}");
            }
        }
    }

    /// <summary>Parses one shard line; <paramref name="where"/> prefixes error messages.</summary>
    public static TokenizedRecord ParseLine(string text, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var o = doc.RootElement;
            if (o.TryGetProperty("input_ids", out var ids))
            {
                var input = Ints(ids);
                var labels = Ints(o.GetProperty("labels"));
                if (labels.Length != input.Length) throw new InvalidDataException($"{labels.Length} labels for {input.Length} input_ids");
                var mask = new bool[input.Length];
                for (int i = 0; i < mask.Length; i++)
                {
                    if (labels[i] != IgnoreIndex && labels[i] != input[i]) throw new InvalidDataException($"label {i} is {labels[i]}, neither the input id {input[i]} nor {IgnoreIndex}");
                    mask[i] = labels[i] != IgnoreIndex;
                }
                return new TokenizedRecord(input, mask);
            }
            return new TokenizedRecord(Ints(o.GetProperty("prompt_ids")), null, Ints(o.GetProperty("chosen_ids")), Ints(o.GetProperty("rejected_ids")));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw new InvalidDataException($"{where}: bad tokenized record: {e.Message}", e);
        }
    }

    private static int[] Ints(JsonElement a)
    {
        var r = new int[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray()) r[i++] = v.GetInt32();
        return r;
    }
}

/// <summary>Contents of <c>tokenized.json</c>.</summary>
/// <param name="Stage">pt, sft, rm or dpo.</param>
/// <param name="Examples">Records over all shards.</param>
/// <param name="Tokens">Token ids over all records.</param>
/// <param name="Shards">Shard file names, in order.</param>
public sealed record TokenizedManifest(string Stage, long Examples, long Tokens, IReadOnlyList<string> Shards);
