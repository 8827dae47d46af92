using System.Text.Json;

namespace Tokamak.Data.Output;

/// <summary>
/// Writes tokenized records as <see cref="TokenizedShards"/> shards, starting a new shard after
/// <see cref="ShardBytes"/> bytes; <see cref="Dispose"/> writes the manifest. Streaming: one record in memory at a time.
/// </summary>
public sealed class TokenizedShardWriter : IDisposable
{
    private readonly string _dir;
    private readonly string _stage;
    private readonly List<string> _shards = [];
    private FileStream? _file;
    private Utf8JsonWriter? _json;
    private bool _done;

    /// <summary>Shard size at which the next shard is started.</summary>
    public long ShardBytes { get; }

    /// <summary>Records written.</summary>
    public long Examples { get; private set; }

    /// <summary>Token ids written.</summary>
    public long Tokens { get; private set; }

    /// <summary>Creates <paramref name="directory"/> (removing old shards of a previous run) and starts writing.</summary>
    public TokenizedShardWriter(string directory, string stage, long shardBytes = 256L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardBytes, 1);
        _dir = directory;
        _stage = stage;
        ShardBytes = shardBytes;
        Directory.CreateDirectory(directory);
        foreach (var old in Directory.EnumerateFiles(directory, "shard-*.jsonl")) File.Delete(old);
        File.Delete(Path.Combine(directory, TokenizedShards.ManifestName));
    }

    /// <summary>Writes a training sequence; masked tokens get label −100.</summary>
    public void Write(ReadOnlySpan<int> ids, ReadOnlySpan<bool> lossMask)
    {
        if (ids.Length != lossMask.Length) throw new ArgumentException($"{ids.Length} ids but {lossMask.Length} mask entries");
        var w = Begin();
        w.WriteStartObject();
        w.WriteStartArray("input_ids");
        foreach (var id in ids) w.WriteNumberValue(id);
        w.WriteEndArray();
        w.WriteStartArray("labels");
        for (int i = 0; i < ids.Length; i++) w.WriteNumberValue(lossMask[i] ? ids[i] : TokenizedShards.IgnoreIndex);
        w.WriteEndArray();
        w.WriteEndObject();
        End(ids.Length);
    }

    /// <summary>Writes a preference triple.</summary>
    public void WritePreference(ReadOnlySpan<int> prompt, ReadOnlySpan<int> chosen, ReadOnlySpan<int> rejected)
    {
        var w = Begin();
        w.WriteStartObject();
        Array(w, "prompt_ids", prompt);
        Array(w, "chosen_ids", chosen);
        Array(w, "rejected_ids", rejected);
        w.WriteEndObject();
        End(prompt.Length + chosen.Length + rejected.Length);
    }

    /// <summary>Writes either kind of record.</summary>
    public void Write(TokenizedRecord r)
    {
        if (r.IsPreference) WritePreference(r.Ids, r.Chosen!, r.Rejected!);
        else Write(r.Ids, r.LossMask ?? throw new ArgumentException("a sequence record needs a loss mask"));
    }

    private static void Array(Utf8JsonWriter w, string name, ReadOnlySpan<int> ids)
    {
        w.WriteStartArray(name);
        foreach (var id in ids) w.WriteNumberValue(id);
        w.WriteEndArray();
    }

    private Utf8JsonWriter Begin()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_file == null || _file.Position >= ShardBytes)
        {
            Close();
            string name = $"shard-{_shards.Count:D5}.jsonl";
            _shards.Add(name);
            _file = new FileStream(Path.Combine(_dir, name), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            _json = new Utf8JsonWriter(_file);
        }
        return _json!;
    }

    private void End(int tokens)
    {
        _json!.Flush();
        _json.Reset();
        _file!.WriteByte((byte)'\n');
        Examples++;
        Tokens += tokens;
    }

    private void Close()
    {
        _json?.Dispose();
        _file?.Dispose();
        _json = null;
        _file = null;
    }

    /// <summary>Closes the last shard and writes the manifest.</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        Close();
        using var f = File.Create(Path.Combine(_dir, TokenizedShards.ManifestName));
        using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", TokenizedShards.Format);
        w.WriteString("stage", _stage);
        w.WriteNumber("examples", Examples);
        w.WriteNumber("tokens", Tokens);
        w.WriteStartArray("shards");
        foreach (var s in _shards) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
