using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Formats;

/// <summary>
/// Writes a <c>.safetensors</c> file tensor by tensor: the header is computed from the declared shapes first, then
/// each tensor's bytes are streamed, so a multi-GB model never has to sit in memory.
/// </summary>
public sealed class SafeTensorsWriter : IDisposable
{
    private readonly FileStream _out;
    private readonly List<(string Name, DType DType, long[] Shape, long Bytes)> _entries;
    private int _next;
    private long _written;
    private byte[]? _scratch;

    /// <summary>Starts <paramref name="path"/> with the given tensors, which must then be written in this order.</summary>
    public SafeTensorsWriter(string path, IEnumerable<(string Name, DType DType, long[] Shape)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        _entries = tensors.Select(t =>
        {
            if (t.DType is not (DType.F32 or DType.F16 or DType.BF16))
                throw new ArgumentException($"safetensors stores F32, F16 or BF16, not {t.DType} ({t.Name})");
            long n = t.Shape.Aggregate(1L, (a, b) => a * b);
            return (t.Name, t.DType, t.Shape, DTypes.ByteCount(t.DType, n));
        }).ToList();
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in _entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType.ToString());
                w.WriteStartArray("shape");
                foreach (long d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Bytes;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so tensor data stays aligned, as the format allows.
        int pad = (int)((8 - header.Length % 8) % 8);
        for (int i = 0; i < pad; i++) header.WriteByte((byte)' ');
        _out = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        _out.Write(len);
        header.Position = 0;
        header.CopyTo(_out);
    }

    /// <summary>Appends bytes of the current tensor; call <see cref="EndTensor"/> when it is complete.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_next >= _entries.Count) throw new InvalidOperationException("all declared tensors were already written");
        _out.Write(bytes);
        _written += bytes.Length;
    }

    /// <summary>Appends F32 values to the current tensor, encoded to its declared dtype (F32, F16 or BF16, round to nearest even).</summary>
    public void WriteFloats(ReadOnlySpan<float> values)
    {
        if (_next >= _entries.Count) throw new InvalidOperationException("all declared tensors were already written");
        _scratch ??= new byte[1 << 18];
        DType dtype = _entries[_next].DType;
        int chunk = _scratch.Length / 4;
        for (int off = 0; off < values.Length; off += chunk)
        {
            var src = values.Slice(off, Math.Min(chunk, values.Length - off));
            Write(_scratch.AsSpan(0, Encode(src, dtype, _scratch)));
        }
    }

    private static int Encode(ReadOnlySpan<float> src, DType dtype, byte[] dst)
    {
        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.AsBytes(src).CopyTo(dst);
                return src.Length * 4;
            case DType.F16:
                {
                    var h = MemoryMarshal.Cast<byte, Half>(dst.AsSpan());
                    for (int i = 0; i < src.Length; i++) h[i] = (Half)src[i];
                    return src.Length * 2;
                }
            default:
                {
                    var b = MemoryMarshal.Cast<byte, ushort>(dst.AsSpan());
                    for (int i = 0; i < src.Length; i++) b[i] = Dequant.FloatToBF16(src[i]);
                    return src.Length * 2;
                }
        }
    }

    /// <summary>Checks the current tensor got exactly its declared size and moves to the next.</summary>
    public void EndTensor()
    {
        var e = _entries[_next];
        if (_written != e.Bytes) throw new InvalidOperationException($"tensor '{e.Name}' got {_written} bytes, declared {e.Bytes}");
        _next++;
        _written = 0;
    }

    /// <summary>Flushes and closes; throws if a declared tensor was not written.</summary>
    public void Dispose()
    {
        bool complete = _next == _entries.Count;
        _out.Dispose();
        if (!complete) throw new InvalidOperationException($"only {_next} of {_entries.Count} declared tensors were written");
    }
}
