using System.Runtime.InteropServices;
using System.Text.Json;

namespace Tokamak.Training;

/// <summary>Reads float32 safetensors files written by <see cref="CheckpointWriter"/> (or any F32-only safetensors file).</summary>
public sealed class CheckpointReader
{
    private readonly string _path;
    private readonly long _dataStart;
    private readonly Dictionary<string, (int[] Shape, long Begin, long End)> _entries = new(StringComparer.Ordinal);

    /// <summary>Parses and validates the header of <paramref name="path"/>.</summary>
    public CheckpointReader(string path)
    {
        _path = path;
        using var fs = File.OpenRead(path);
        long fileLength = fs.Length;
        Span<byte> len = stackalloc byte[8];
        if (fs.Read(len) != 8) throw new InvalidDataException($"{path}: too short for a safetensors header");
        ulong headerLength = BitConverter.ToUInt64(len);
        if (headerLength > 100_000_000 || (long)headerLength > fileLength - 8) throw new InvalidDataException($"{path}: header length {headerLength} is impossible for a {fileLength}-byte file");
        var header = new byte[headerLength];
        fs.ReadExactly(header);
        _dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - _dataStart;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject())
                        Metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new InvalidDataException($"{path}: metadata '{m.Name}' is not a string");
                    continue;
                }
                var e = prop.Value;
                string dtype = e.TryGetProperty("dtype", out var dt) ? dt.GetString() ?? "" : "";
                if (dtype != "F32") throw new InvalidDataException($"{path}: tensor '{prop.Name}' has dtype '{dtype}'; training checkpoints hold F32 only");
                var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var offs = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (offs.Length != 2 || offs[0] < 0 || offs[1] > dataLength || offs[1] - offs[0] != 4 * count || shape.Any(d => d < 0))
                    throw new InvalidDataException($"{path}: tensor '{prop.Name}' has offsets [{string.Join(", ", offs)}] that do not fit shape [{string.Join(", ", shape)}] within {dataLength} data bytes");
                _entries[prop.Name] = (shape, offs[0], offs[1]);
            }
        }
    }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensor names.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>Shape of tensor <paramref name="name"/>.</summary>
    public int[] Shape(string name) => Entry(name).Shape;

    /// <summary>Reads tensor <paramref name="name"/> into <paramref name="destination"/>, which must have exactly its element count.</summary>
    public void Read(string name, Span<float> destination)
    {
        var (shape, begin, end) = Entry(name);
        if (destination.Length * 4L != end - begin)
            throw new InvalidDataException($"{_path}: tensor '{name}' holds {(end - begin) / 4} floats (shape [{string.Join(", ", shape)}]) but {destination.Length} are expected");
        using var fs = File.OpenRead(_path);
        fs.Position = _dataStart + begin;
        fs.ReadExactly(MemoryMarshal.AsBytes(destination));
    }

    private (int[] Shape, long Begin, long End) Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new InvalidDataException($"{_path}: checkpoint has no tensor '{name}'");
}
