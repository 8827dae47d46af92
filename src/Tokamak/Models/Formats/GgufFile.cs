using System.Buffers.Binary;
using System.Text;
using Tokamak.Tensors;

namespace Tokamak.Models.Formats;

/// <summary>
/// A memory-mapped GGUF (v2/v3) file: header, typed metadata, tensor directory and tensor data.
/// Metadata values map to .NET as: u8→byte, i8→sbyte, u16→ushort, i16→short, u32→uint, i32→int, f32→float,
/// bool→bool, string→string, u64→ulong, i64→long, f64→double, arrays→typed arrays (string[], float[], int[], …).
/// GGUF dims are innermost first (ne0); <see cref="Tensor.Shape"/> is outermost first, so they are reversed here.
/// </summary>
public sealed unsafe class GgufFile : ITensorSource
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private readonly MappedFile _file;
    private readonly Dictionary<string, object> _metadata = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<string, uint> _rawTypes = new(StringComparer.Ordinal);
    private long _pos;

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    public GgufFile(string path)
    {
        _file = new MappedFile(path);
        try
        {
            Parse();
        }
        catch (Exception e) when (e is OverflowException or ArgumentException or DecoderFallbackException)
        {
            _file.Dispose();
            throw new InvalidDataException($"{System.IO.Path.GetFileName(path)}: corrupt GGUF ({e.Message})");
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The file path.</summary>
    public string Path => _file.Path;

    /// <summary>GGUF version (2 or 3).</summary>
    public uint Version { get; private set; }

    /// <summary>All metadata key/value pairs.</summary>
    public IReadOnlyDictionary<string, object> Metadata => _metadata;

    /// <inheritdoc />
    public IEnumerable<string> Names => _order;

    /// <inheritdoc />
    public Tensor? Find(string name) => _tensors.GetValueOrDefault(name);

    /// <summary>GGUF type ids of tensors Tokamak cannot run yet, by tensor name (for a clear error).</summary>
    public IReadOnlyDictionary<string, uint> UnsupportedTensorTypes => _rawTypes;

    /// <summary>A metadata value converted to <typeparamref name="T"/>, or <paramref name="fallback"/> when absent.</summary>
    public T Get<T>(string key, T fallback)
    {
        if (!_metadata.TryGetValue(key, out var v)) return fallback;
        if (v is T t) return t;
        try
        {
            return (T)Convert.ChangeType(v, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{System.IO.Path.GetFileName(Path)}: metadata '{key}' is {v.GetType().Name}, expected {typeof(T).Name}");
        }
    }

    /// <summary>Whether the metadata has <paramref name="key"/>.</summary>
    public bool Has(string key) => _metadata.ContainsKey(key);

    private string FileName => System.IO.Path.GetFileName(Path);

    private void Parse()
    {
        if (_file.Length < 24 || ReadU32() != Magic) throw new InvalidDataException($"{FileName}: not a GGUF file (bad magic)");
        Version = ReadU32();
        if (Version is < 2 or > 3) throw new InvalidDataException($"{FileName}: GGUF version {Version} is not supported (2 and 3 are)");
        ulong tensorCount = ReadU64(), kvCount = ReadU64();
        if (tensorCount > 1_000_000 || kvCount > 1_000_000) throw new InvalidDataException($"{FileName}: implausible GGUF counts ({tensorCount} tensors, {kvCount} metadata entries); the file is corrupt");
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = ReadString();
            uint type = ReadU32();
            _metadata[key] = ReadValue(type, key);
        }
        var infos = new List<(string Name, long[] Shape, uint Type, ulong Offset)>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = ReadString();
            uint nDims = ReadU32();
            if (nDims is 0 or > 4) throw new InvalidDataException($"{FileName}: tensor '{name}' has {nDims} dimensions");
            var ne = new long[nDims];
            for (int d = 0; d < nDims; d++) ne[d] = checked((long)ReadU64());
            Array.Reverse(ne);
            uint type = ReadU32();
            ulong offset = ReadU64();
            infos.Add((name, ne, type, offset));
        }
        long alignment = Get<uint>("general.alignment", 32u);
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw new InvalidDataException($"{FileName}: general.alignment {alignment} is not a power of two");
        long dataStart = (_pos + alignment - 1) / alignment * alignment;
        foreach (var (name, shape, type, offset) in infos)
        {
            _order.Add(name);
            DType? dtype = GgufTypes.ToDType(type);
            if (dtype is null)
            {
                _rawTypes[name] = type;
                continue;
            }
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            if (shape[^1] % DTypes.BlockSize(dtype.Value) != 0)
                throw new InvalidDataException($"{FileName}: tensor '{name}' has rows of {shape[^1]} elements, not a whole number of {GgufTypes.Name(type)} blocks of {DTypes.BlockSize(dtype.Value)}");
            long bytes = DTypes.ByteCount(dtype.Value, count);
            long start = checked(dataStart + (long)offset);
            _file.CheckRange(start, bytes);
            _tensors[name] = new Tensor(name, dtype.Value, shape, _file.Pointer + start);
        }
    }

    private object ReadValue(uint type, string key) => type switch
    {
        0 => ReadBytes(1)[0],
        1 => (sbyte)ReadBytes(1)[0],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)),
        3 => BinaryPrimitives.ReadInt16LittleEndian(ReadBytes(2)),
        4 => ReadU32(),
        5 => (int)ReadU32(),
        6 => BinaryPrimitives.ReadSingleLittleEndian(ReadBytes(4)),
        7 => ReadBytes(1)[0] != 0,
        8 => ReadString(),
        9 => ReadArray(key),
        10 => ReadU64(),
        11 => (long)ReadU64(),
        12 => BinaryPrimitives.ReadDoubleLittleEndian(ReadBytes(8)),
        _ => throw new InvalidDataException($"{FileName}: metadata '{key}' has unknown value type {type}"),
    };

    private object ReadArray(string key)
    {
        uint elemType = ReadU32();
        ulong n = ReadU64();
        if (n > (ulong)(_file.Length - _pos)) throw new InvalidDataException($"{FileName}: metadata array '{key}' claims {n} elements, more than the file holds");
        int count = (int)n;
        switch (elemType)
        {
            case 8:
                {
                    var a = new string[count];
                    for (int i = 0; i < count; i++) a[i] = ReadString();
                    return a;
                }
            case 6:
                {
                    var a = new float[count];
                    var src = ReadBytes(checked(count * 4));
                    for (int i = 0; i < count; i++) a[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]);
                    return a;
                }
            case 5:
                {
                    var a = new int[count];
                    var src = ReadBytes(checked(count * 4));
                    for (int i = 0; i < count; i++) a[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]);
                    return a;
                }
            case 4:
                {
                    var a = new uint[count];
                    var src = ReadBytes(checked(count * 4));
                    for (int i = 0; i < count; i++) a[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(i * 4)..]);
                    return a;
                }
            default:
                {
                    var a = new object[count];
                    for (int i = 0; i < count; i++) a[i] = ReadValue(elemType, key);
                    return a;
                }
        }
    }

    private ReadOnlySpan<byte> ReadBytes(int n)
    {
        if (_pos + n > _file.Length) throw new InvalidDataException($"{FileName}: GGUF header runs past the end of the file; the file is truncated");
        var s = new ReadOnlySpan<byte>(_file.Pointer + _pos, n);
        _pos += n;
        return s;
    }

    private uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    private ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    private string ReadString()
    {
        ulong len = ReadU64();
        if (len > (ulong)(_file.Length - _pos)) throw new InvalidDataException($"{FileName}: GGUF string of {len} bytes runs past the end of the file; the file is truncated or corrupt");
        return Encoding.UTF8.GetString(ReadBytes((int)len));
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}

/// <summary>GGUF tensor type ids (ggml_type) and their Tokamak dtypes.</summary>
public static class GgufTypes
{
    /// <summary>The <see cref="DType"/> for a ggml_type id, or null when Tokamak cannot run it.</summary>
    public static DType? ToDType(uint ggmlType) => ggmlType switch
    {
        0 => DType.F32,
        1 => DType.F16,
        2 => DType.Q4_0,
        3 => DType.Q4_1,
        6 => DType.Q5_0,
        7 => DType.Q5_1,
        8 => DType.Q8_0,
        10 => DType.Q2_K,
        11 => DType.Q3_K,
        12 => DType.Q4_K,
        13 => DType.Q5_K,
        14 => DType.Q6_K,
        30 => DType.BF16,
        _ => null,
    };

    /// <summary>The ggml_type id of <paramref name="t"/> (the inverse of <see cref="ToDType"/>).</summary>
    public static uint FromDType(DType t) => t switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.Q4_0 => 2,
        DType.Q4_1 => 3,
        DType.Q5_0 => 6,
        DType.Q5_1 => 7,
        DType.Q8_0 => 8,
        DType.Q2_K => 10,
        DType.Q3_K => 11,
        DType.Q4_K => 12,
        DType.Q5_K => 13,
        DType.Q6_K => 14,
        DType.BF16 => 30,
        _ => throw new NotSupportedException($"dtype {t} has no GGUF type id"),
    };

    /// <summary>ggml's name for a type id (for messages).</summary>
    public static string Name(uint ggmlType) => ggmlType switch
    {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        30 => "BF16",
        _ => $"type {ggmlType}",
    };
}
