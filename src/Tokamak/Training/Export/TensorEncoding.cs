using Tokamak.Models.Formats;
using Tokamak.Tensors;

namespace Tokamak.Training.Export;

/// <summary>Streams float32 tensors into a <see cref="SafeTensorsWriter"/> as F32, F16 or BF16.</summary>
internal static class TensorEncoding
{
    public static void WriteAll(string path, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, DType dtype, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"exports are F32, F16 or BF16, not {DTypes.Name(dtype)}");
        using var w = new SafeTensorsWriter(path, tensors.Select(t => (t.Name, dtype, t.Shape.Select(d => (long)d).ToArray())), metadata);
        foreach (var (_, _, data) in tensors)
        {
            w.WriteFloats(data);
            w.EndTensor();
        }
    }
}
