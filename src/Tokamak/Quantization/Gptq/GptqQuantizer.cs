using System.Numerics.Tensors;

namespace Tokamak.Quantization.Gptq;

/// <summary>
/// GPTQ (Frantar et al., 2022) for one linear layer <c>W [rows, cols]</c> given the Hessian of its inputs
/// <c>H = 2XXᵀ/N [cols, cols]</c>: columns are rounded one at a time and each rounding error is spread over the
/// not-yet-rounded columns through the upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU), which minimises
/// ‖WX − ŴX‖². Updates inside a block of columns are immediate; the rest of the matrix gets them once per block.
/// </summary>
public static class GptqQuantizer
{
    /// <summary>Quantizes <paramref name="weights"/>; <paramref name="name"/> appears in error messages.</summary>
    public static QuantizedMatrix Quantize(ReadOnlySpan<float> weights, int rows, int cols, ReadOnlySpan<double> hessian, GptqOptions o, string name = "weight")
    {
        o.Validate();
        if (weights.Length != (long)rows * cols) throw new ArgumentException($"{name}: {weights.Length} weights for a [{rows}, {cols}] matrix");
        if (hessian.Length != (long)cols * cols) throw new ArgumentException($"{name}: Hessian has {hessian.Length} entries, expected {cols}×{cols}");
        if (cols % o.GroupSize != 0) throw new InvalidDataException($"{name}: {cols} input columns is not a multiple of the group size {o.GroupSize}");
        foreach (float v in weights)
            if (!float.IsFinite(v)) throw new InvalidDataException($"{name} contains NaN or infinite weights");
        var grid = new SymmetricGrid(o.Bits);
        int n = cols, gs = o.GroupSize;

        var w = weights.ToArray();
        var h = hessian.ToArray();
        for (int i = 0; i < n; i++)
            if (h[i * n + i] == 0)
            {
                // A channel that never fired: its weights cannot matter on the calibration data.
                h[i * n + i] = 1;
                for (int r = 0; r < rows; r++) w[r * n + i] = 0;
            }

        var perm = Enumerable.Range(0, n).ToArray();
        if (o.ActOrder) perm = perm.OrderByDescending(i => h[i * n + i]).ThenBy(i => i).ToArray();
        var scales = new float[(long)rows * n / 32];
        if (o.ActOrder)
        {
            // Static groups: block scales come from the original columns so every 32-column block keeps one scale.
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < n; g += gs)
                    FillScale(scales, r, n, g, gs, grid.Scale(w.AsSpan(r * n + g, gs)));
        }
        var wp = new float[w.Length];   // [rows, cols] in quantization order
        var hp = new double[h.Length];  // [cols, cols] in quantization order
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) wp[r * n + j] = w[r * n + perm[j]];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) hp[i * n + j] = h[perm[i] * n + perm[j]];
        double meanDiag = 0;
        for (int i = 0; i < n; i++) meanDiag += hp[i * n + i];
        double damp = o.PercDamp * meanDiag / n;
        for (int i = 0; i < n; i++) hp[i * n + i] += damp;
        var u = Cholesky.UpperOfInverse(hp, n, $"{name}'s Hessian");
        var uf = Array.ConvertAll(u, x => (float)x);

        var levels = new sbyte[(long)rows * n];
        int bs = o.BlockSize;
        var err = new float[(long)rows * bs]; // [rows, block]
        for (int i1 = 0; i1 < n; i1 += bs)
        {
            int i2 = Math.Min(i1 + bs, n), count = i2 - i1;
            for (int k = 0; k < count; k++)
            {
                int j = i1 + k, orig = perm[j];
                if (!o.ActOrder && j % gs == 0)
                    for (int r = 0; r < rows; r++) FillScale(scales, r, n, j, gs, grid.Scale(wp.AsSpan(r * n + j, gs)));
                float dInv = 1 / uf[j * n + j];
                var uRow = uf.AsSpan(j * n + j + 1, i2 - j - 1);
                for (int r = 0; r < rows; r++)
                {
                    float s = scales[(r * (long)n + orig) / 32];
                    float x = wp[r * n + j];
                    int q = grid.Level(x, s);
                    levels[r * (long)n + orig] = (sbyte)q;
                    float e = (x - s * q) * dInv;
                    err[r * bs + k] = e;
                    var rest = wp.AsSpan(r * n + j + 1, i2 - j - 1);
                    TensorPrimitives.MultiplyAdd(uRow, -e, rest, rest);
                }
            }
            if (i2 == n) continue;
            for (int r = 0; r < rows; r++)
            {
                var rest = wp.AsSpan(r * n + i2, n - i2);
                for (int k = 0; k < count; k++)
                    TensorPrimitives.MultiplyAdd(uf.AsSpan((i1 + k) * n + i2, n - i2), -err[r * bs + k], rest, rest);
            }
        }
        return new QuantizedMatrix(grid, rows, n, levels, scales);
    }

    private static void FillScale(float[] scales, int r, int cols, int g, int gs, float d)
    {
        for (int b = g / 32; b < (g + gs) / 32; b++) scales[(long)r * cols / 32 + b] = d;
    }
}
