using System.Runtime.InteropServices;
using System.Text.Json;

namespace Tokamak.Training;

/// <summary>
/// Writes float32 tensors as a safetensors file: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, then the raw data.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>Writes <paramref name="tensors"/> (in order) and <paramref name="metadata"/> to <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Write(string path, IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors, IReadOnlyDictionary<string, string> metadata) =>
        Write(path, tensors, metadata, null);

    /// <summary>As <see cref="Write(string, IReadOnlyList{ValueTuple{string, int[], ReadOnlyMemory{float}}}, IReadOnlyDictionary{string, string})"/>; <paramref name="wrap"/> lets tests inject a failing stream.</summary>
    internal static void Write(string path, IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors, IReadOnlyDictionary<string, string> metadata, Func<Stream, Stream>? wrap)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
        var header = new MemoryStream();
        long offset = 0;
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata) json.WriteString(k, v);
            json.WriteEndObject();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, shape, data) in tensors)
            {
                if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"tensor name '{name}' is reserved or repeated");
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (count != data.Length) throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}] but {data.Length} values");
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + 4 * count);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += 4 * count;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces so the data starts 8-byte aligned (the format allows trailing whitespace).
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        string tmp = path + ".tmp";
        try
        {
            using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var fs = wrap?.Invoke(file) ?? file)
            {
                var len = new byte[8];
                BitConverter.TryWriteBytes(len, (ulong)header.Length);
                fs.Write(len);
                header.Position = 0;
                header.CopyTo(fs);
                foreach (var (_, _, data) in tensors) fs.Write(MemoryMarshal.AsBytes(data.Span));
                fs.Flush();
                file.Flush(flushToDisk: true);
            }
            // The rename is the commit point: before it the previous checkpoint is intact, after it the new one is complete.
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}
