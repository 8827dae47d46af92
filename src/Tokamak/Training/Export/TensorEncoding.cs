using System.Runtime.InteropServices;
using Tokamak.Models.Formats;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Export;

/// <summary>Streams float32 tensors into a <see cref="SafeTensorsWriter"/> as F32, F16 or BF16.</summary>
internal static class TensorEncoding
{
    public static void WriteAll(string path, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, DType dtype, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"exports are F32, F16 or BF16, not {DTypes.Name(dtype)}");
        using var w = new SafeTensorsWriter(path, tensors.Select(t => (t.Name, dtype, t.Shape.Select(d => (long)d).ToArray())), metadata);
        var buf = new byte[1 << 18];
        foreach (var (_, _, data) in tensors)
        {
            int chunk = buf.Length / 4;
            for (int off = 0; off < data.Length; off += chunk)
            {
                var src = data.AsSpan(off, Math.Min(chunk, data.Length - off));
                w.Write(buf.AsSpan(0, Encode(src, dtype, buf)));
            }
            w.EndTensor();
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
}
