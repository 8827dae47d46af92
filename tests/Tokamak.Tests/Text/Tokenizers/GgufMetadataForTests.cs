using System.Text;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>
/// Minimal GGUF v2/v3 metadata reader for tokenizer tests only (the product reader lives in Models/Formats):
/// header, then key/value pairs mapped to .NET values the way the product reader does (string, uint, int, float,
/// bool, ulong, …; arrays as typed arrays). Tensor infos are not read.
/// </summary>
internal static class GgufMetadataForTests
{
    public static Dictionary<string, object> Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != "GGUF") throw new InvalidDataException($"{path}: not a GGUF file");
        uint version = reader.ReadUInt32();
        if (version is < 2 or > 3) throw new InvalidDataException($"{path}: GGUF version {version}");
        reader.ReadUInt64(); // tensor count
        ulong kvCount = reader.ReadUInt64();
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = ReadString(reader);
            metadata[key] = ReadValue(reader, reader.ReadUInt32());
        }
        return metadata;
    }

    private static string ReadString(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes(checked((int)r.ReadUInt64())));

    private static object ReadValue(BinaryReader r, uint type) => type switch
    {
        0 => r.ReadByte(),
        1 => r.ReadSByte(),
        2 => r.ReadUInt16(),
        3 => r.ReadInt16(),
        4 => r.ReadUInt32(),
        5 => r.ReadInt32(),
        6 => r.ReadSingle(),
        7 => r.ReadByte() != 0,
        8 => ReadString(r),
        9 => ReadArray(r),
        10 => r.ReadUInt64(),
        11 => r.ReadInt64(),
        12 => r.ReadDouble(),
        _ => throw new InvalidDataException($"GGUF value type {type}"),
    };

    private static object ReadArray(BinaryReader r)
    {
        uint elementType = r.ReadUInt32();
        int n = checked((int)r.ReadUInt64());
        return elementType switch
        {
            4 => Fill(n, r.ReadUInt32),
            5 => Fill(n, r.ReadInt32),
            6 => Fill(n, r.ReadSingle),
            8 => Fill(n, () => ReadString(r)),
            _ => Fill(n, () => ReadValue(r, elementType)),
        };
    }

    private static T[] Fill<T>(int n, Func<T> read)
    {
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = read();
        return a;
    }
}
