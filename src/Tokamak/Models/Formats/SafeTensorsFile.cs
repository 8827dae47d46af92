using System.Buffers.Binary;
using System.Text.Json;
using Tokamak.Tensors;

namespace Tokamak.Models.Formats;

/// <summary>
/// A memory-mapped <c>.safetensors</c> file: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}</c>, then the raw tensor bytes.
/// </summary>
public sealed unsafe class SafeTensorsFile : ITensorSource
{
    private readonly MappedFile _file;
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    /// <summary>Opens and validates <paramref name="path"/>; every tensor's bytes must lie inside the file.</summary>
    public SafeTensorsFile(string path)
    {
        _file = new MappedFile(path);
        try
        {
            Parse();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The file path.</summary>
    public string Path => _file.Path;

    /// <summary>String metadata from the header's <c>__metadata__</c> entry.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public IEnumerable<string> Names => _tensors.Keys;

    /// <inheritdoc />
    public Tensor? Find(string name) => _tensors.GetValueOrDefault(name);

    private void Parse()
    {
        string fileName = System.IO.Path.GetFileName(Path);
        if (_file.Length < 8) throw new InvalidDataException($"{fileName}: not a safetensors file (shorter than its 8-byte header length)");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(_file.Bytes(0, 8));
        if (headerLen == 0 || headerLen > 100_000_000 || 8 + (long)headerLen > _file.Length)
            throw new InvalidDataException($"{fileName}: safetensors header length {headerLen} does not fit the file ({_file.Length} bytes); the file is truncated or not safetensors");
        long dataStart = 8 + (long)headerLen;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(_file.Bytes(8, (int)headerLen).ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{fileName}: safetensors header is not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{fileName}: safetensors header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    var meta = new Dictionary<string, string>();
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in prop.Value.EnumerateObject()) meta[m.Name] = m.Value.ToString();
                    Metadata = meta;
                    continue;
                }
                _tensors[prop.Name] = ParseTensor(fileName, prop.Name, prop.Value, dataStart);
            }
        }
    }

    private Tensor ParseTensor(string fileName, string name, JsonElement e, long dataStart)
    {
        try
        {
            string dt = e.GetProperty("dtype").GetString() ?? "";
            DType dtype = dt switch
            {
                "F32" => DType.F32,
                "F16" => DType.F16,
                "BF16" => DType.BF16,
                _ => throw new InvalidDataException($"{fileName}: tensor '{name}' has dtype {dt}, which Tokamak does not load (F32, F16, BF16 are supported)"),
            };
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[1] < offsets[0] || shape.Any(d => d < 0))
                throw new InvalidDataException($"{fileName}: tensor '{name}' has invalid shape or data_offsets");
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            long bytes = DTypes.ByteCount(dtype, count);
            if (offsets[1] - offsets[0] != bytes)
                throw new InvalidDataException($"{fileName}: tensor '{name}' {dt}[{string.Join(",", shape)}] needs {bytes} bytes but data_offsets span {offsets[1] - offsets[0]}");
            _file.CheckRange(dataStart + offsets[0], bytes);
            return new Tensor(name, dtype, shape.Length == 0 ? [1] : shape, _file.Pointer + dataStart + offsets[0]);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{fileName}: tensor '{name}' has a malformed header entry ({ex.Message})");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}

/// <summary>
/// The tensors of a model folder: one <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c> (<c>{"weight_map": {tensor: shard file}}</c>).
/// </summary>
public sealed class SafeTensorsModel : ITensorSource
{
    private readonly List<SafeTensorsFile> _files = [];
    private readonly Dictionary<string, SafeTensorsFile> _byTensor = new(StringComparer.Ordinal);

    /// <summary>Opens every safetensors file of <paramref name="dir"/>.</summary>
    public SafeTensorsModel(string dir)
    {
        try
        {
            string index = System.IO.Path.Combine(dir, "model.safetensors.index.json");
            IEnumerable<string> shardNames;
            if (File.Exists(index))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
                if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{index}: no weight_map object");
                shardNames = map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().ToList();
            }
            else
            {
                shardNames = Directory.GetFiles(dir, "*.safetensors").Select(System.IO.Path.GetFileName).OfType<string>().Order().ToList();
            }
            if (!shardNames.Any()) throw new FileNotFoundException($"no .safetensors weights in {dir}");
            foreach (string shard in shardNames)
            {
                var f = new SafeTensorsFile(System.IO.Path.Combine(dir, shard));
                _files.Add(f);
                foreach (string n in f.Names) _byTensor[n] = f;
            }
            Metadata = _files[0].Metadata;
        }
        catch (JsonException e)
        {
            Dispose();
            throw new InvalidDataException($"model.safetensors.index.json is not valid JSON ({e.Message})");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Metadata of the first shard.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public IEnumerable<string> Names => _byTensor.Keys;

    /// <inheritdoc />
    public Tensor? Find(string name) => _byTensor.TryGetValue(name, out var f) ? f.Find(name) : null;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
