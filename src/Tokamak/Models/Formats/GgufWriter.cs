using System.Text;
using Tokamak.Tensors;

namespace Tokamak.Models.Formats;

/// <summary>
/// Writes a GGUF v3 file: header, typed metadata, tensor directory, then tensor data, each tensor starting at a
/// multiple of <c>general.alignment</c> (32 unless the metadata sets it). Metadata values map from .NET as
/// <see cref="GgufFile"/> reads them back: byte→u8, sbyte→i8, ushort→u16, short→i16, uint→u32, int→i32,
/// float→f32, bool→bool, string→string, ulong→u64, long→i64, double→f64, and arrays of these (typed arrays, or
/// <c>object[]</c> whose elements share one type; arrays may nest). Shapes are outermost first, as in
/// <see cref="Tensor.Shape"/>, and are written innermost first as GGUF expects.
/// </summary>
public sealed class GgufWriter
{
    private const uint Magic = 0x46554747; // "GGUF"
    private readonly List<KeyValuePair<string, object>> _metadata = [];
    private readonly List<Entry> _tensors = [];

    private sealed record Entry(string Name, DType Type, long[] Shape, long Bytes, Action<Stream> Write);

    /// <summary>Sets (or replaces, keeping its position) a metadata value; throws for a type GGUF cannot hold.</summary>
    public void Set(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ValueType(value, key); // validates
        int i = _metadata.FindIndex(p => p.Key == key);
        if (i >= 0) _metadata[i] = new(key, value);
        else _metadata.Add(new(key, value));
    }

    /// <summary>Metadata set so far, in write order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Metadata => _metadata;

    /// <summary>
    /// Adds a tensor whose <paramref name="write"/> callback streams exactly the bytes its dtype and shape take
    /// (checked when writing).
    /// </summary>
    public void AddTensor(string name, DType type, long[] shape, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.Length is 0 or > 4) throw new ArgumentException($"tensor '{name}': GGUF holds 1 to 4 dimensions, got {shape.Length}");
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor '{name}' was added twice");
        long count = 1;
        foreach (long d in shape)
        {
            if (d <= 0) throw new ArgumentException($"tensor '{name}': dimension {d} must be positive");
            count = checked(count * d);
        }
        if (shape[^1] % DTypes.BlockSize(type) != 0)
            throw new ArgumentException($"tensor '{name}': row length {shape[^1]} is not a multiple of the {DTypes.Name(type)} block size {DTypes.BlockSize(type)}");
        _tensors.Add(new Entry(name, type, (long[])shape.Clone(), DTypes.ByteCount(type, count), write));
    }

    /// <summary>Adds a tensor with its bytes in memory.</summary>
    public void AddTensor(string name, DType type, long[] shape, ReadOnlyMemory<byte> data) =>
        AddTensor(name, type, shape, s => s.Write(data.Span));

    /// <summary>Adds a copy of an existing tensor (its bytes are read when the file is written).</summary>
    public unsafe void AddTensor(Tensor t, string? name = null) =>
        AddTensor(name ?? t.Name, t.DType, t.Shape, s =>
        {
            const int Chunk = 1 << 24;
            for (long off = 0; off < t.ByteLength; off += Chunk)
                s.Write(new ReadOnlySpan<byte>(t.Data + off, (int)Math.Min(Chunk, t.ByteLength - off)));
        });

    /// <summary>Writes the file to <paramref name="path"/> (via a temporary file, so a failure leaves no partial output).</summary>
    public void Write(string path)
    {
        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20))
                Write(fs);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Writes the file to a seekable stream.</summary>
    public void Write(Stream s)
    {
        if (!s.CanSeek) throw new ArgumentException("GGUF output stream must be seekable");
        long alignment = _metadata.FirstOrDefault(p => p.Key == "general.alignment").Value switch
        {
            null => 32,
            uint a when a > 0 && (a & (a - 1)) == 0 => a,
            var v => throw new ArgumentException($"general.alignment must be a power-of-two uint, got {v}"),
        };
        using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            uint type = ValueType(value, key);
            w.Write(type);
            WriteValue(w, value, type, key);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            for (int d = t.Shape.Length - 1; d >= 0; d--) w.Write((ulong)t.Shape[d]);
            w.Write(GgufTypes.FromDType(t.Type));
            w.Write((ulong)offset);
            offset = Align(offset + t.Bytes, alignment);
        }
        w.Flush();
        long dataStart = Align(s.Position, alignment);
        Pad(s, dataStart);
        foreach (var t in _tensors)
        {
            long start = s.Position;
            t.Write(s);
            long written = s.Position - start;
            if (written != t.Bytes)
                throw new InvalidDataException($"tensor '{t.Name}': wrote {written} bytes, but {DTypes.Name(t.Type)} [{string.Join(", ", t.Shape)}] takes {t.Bytes}");
            Pad(s, dataStart + Align(s.Position - dataStart, alignment));
        }
    }

    private static long Align(long v, long a) => (v + a - 1) / a * a;

    private static void Pad(Stream s, long to)
    {
        Span<byte> zeros = stackalloc byte[64];
        while (s.Position < to) s.Write(zeros[..(int)Math.Min(64, to - s.Position)]);
    }

    private static void WriteString(BinaryWriter w, string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static uint ValueType(object v, string key) => v switch
    {
        byte => 0,
        sbyte => 1,
        ushort => 2,
        short => 3,
        uint => 4,
        int => 5,
        float => 6,
        bool => 7,
        string => 8,
        ulong => 10,
        long => 11,
        double => 12,
        Array a => CheckArray(a, key),
        _ => throw new ArgumentException($"metadata '{key}': {v.GetType().Name} is not a GGUF value type"),
    };

    private static uint CheckArray(Array a, string key)
    {
        ElementType(a, key);
        return 9;
    }

    private static uint ElementType(Array a, string key)
    {
        var et = a.GetType().GetElementType()!;
        if (et != typeof(object))
        {
            if (a.Length > 0) return ValueType(a.GetValue(0)!, key);
            // An empty typed array still has a definite element type.
            return et == typeof(string) ? 8u : et.IsArray ? 9u : ValueType(Activator.CreateInstance(et)!, key);
        }
        if (a.Length == 0) return 0;
        uint first = ValueType(a.GetValue(0) ?? throw new ArgumentException($"metadata '{key}': null array element"), key);
        foreach (var e in a)
            if (e is null || ValueType(e, key) != first)
                throw new ArgumentException($"metadata '{key}': array elements must all have one GGUF type");
        return first;
    }

    private static void WriteValue(BinaryWriter w, object v, uint type, string key)
    {
        switch (v)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: WriteString(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array a:
                {
                    uint et = ElementType(a, key);
                    w.Write(et);
                    w.Write((ulong)a.Length);
                    foreach (var e in a) WriteValue(w, e!, et, key);
                    break;
                }
            default: throw new ArgumentException($"metadata '{key}': {v.GetType().Name} is not a GGUF value type (type {type})");
        }
    }
}
