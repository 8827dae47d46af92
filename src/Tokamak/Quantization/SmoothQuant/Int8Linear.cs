using System.Numerics.Tensors;

namespace Tokamak.Quantization.SmoothQuant;

/// <summary>How finely W8A8 scales are shared.</summary>
public enum Int8Granularity
{
    /// <summary>One scale for the whole weight and one per activation matrix (the naive baseline).</summary>
    PerTensor,
    /// <summary>One scale per weight output channel and one per activation row (token) — SmoothQuant's O1/O3 setting.</summary>
    PerChannel,
}

/// <summary>
/// A linear layer <c>W [out, in]</c> in W8A8: int8 weights with scales by <see cref="Int8Granularity"/>, activations
/// quantized to int8 on the fly, products summed in int32 by <see cref="Int8Gemm"/> and rescaled:
/// <c>y[r, o] = sx[r]·sw[o]·Σ_j qx[r, j]·qw[o, j]</c>. Optional LLM.int8()-style outlier input channels are left out of
/// the int8 part and multiplied in F32: <c>+ Σ_{j∈outliers} x[r, j]·W[o, j]</c>.
/// </summary>
public sealed class Int8Linear
{
    private readonly sbyte[] _w;        // [out, inliers]
    private readonly float[] _wScale;   // [out]
    private readonly int[]? _inliers;   // input columns in the int8 part (null: all)
    private readonly int[] _outliers;   // input columns kept in F32
    private readonly float[] _wOut;     // [out, outliers]
    private readonly Int8Granularity _g;

    // Scratch reused across calls (a model runs one projection at a time).
    private sbyte[] _xq = [];
    private float[] _xScale = [];
    private float[] _row = [];
    private int[] _acc = [];

    /// <summary>Quantizes <paramref name="weights"/> <c>[rows, cols]</c>; <paramref name="outliers"/> are input columns kept in F32.</summary>
    public Int8Linear(ReadOnlySpan<float> weights, int rows, int cols, Int8Granularity granularity, IReadOnlyList<int>? outliers = null, string name = "weight")
    {
        if (weights.Length != (long)rows * cols) throw new ArgumentException($"{name}: {weights.Length} weights for a [{rows}, {cols}] matrix");
        foreach (float v in weights)
            if (!float.IsFinite(v)) throw new InvalidDataException($"{name} contains NaN or infinite weights");
        Rows = rows;
        Cols = cols;
        _g = granularity;
        _outliers = outliers is null ? [] : outliers.Distinct().Order().ToArray();
        foreach (int j in _outliers)
            if ((uint)j >= (uint)cols) throw new ArgumentException($"{name}: outlier channel {j} is outside 0..{cols - 1}");
        var set = new HashSet<int>(_outliers);
        _inliers = _outliers.Length == 0 ? null : Enumerable.Range(0, cols).Where(j => !set.Contains(j)).ToArray();
        int k = InlierCount;
        _w = new sbyte[(long)rows * k];
        _wScale = new float[rows];
        _wOut = new float[(long)rows * _outliers.Length];
        var row = new float[k];
        float tensorMax = 0;
        for (int r = 0; r < rows; r++)
        {
            Gather(weights.Slice(r * cols, cols), row);
            tensorMax = MathF.Max(tensorMax, MathF.Abs(TensorPrimitives.MaxMagnitude<float>(row)));
            for (int i = 0; i < _outliers.Length; i++) _wOut[r * _outliers.Length + i] = weights[r * cols + _outliers[i]];
        }
        for (int r = 0; r < rows; r++)
        {
            Gather(weights.Slice(r * cols, cols), row);
            float amax = granularity == Int8Granularity.PerTensor ? tensorMax : MathF.Abs(TensorPrimitives.MaxMagnitude<float>(row));
            _wScale[r] = Quantize(row, _w.AsSpan(r * k, k), amax);
        }
    }

    /// <summary>Output channels.</summary>
    public int Rows { get; }
    /// <summary>Input channels.</summary>
    public int Cols { get; }
    /// <summary>Input channels kept in F32.</summary>
    public IReadOnlyList<int> Outliers => _outliers;
    private int InlierCount => Cols - _outliers.Length;

    /// <summary>Symmetric int8 of <paramref name="x"/> against <paramref name="amax"/>: returns the scale amax/127.</summary>
    public static float Quantize(ReadOnlySpan<float> x, Span<sbyte> q, float amax)
    {
        if (!(amax > 0))
        {
            q.Clear();
            return 0;
        }
        float inv = 127f / amax;
        for (int i = 0; i < x.Length; i++) q[i] = (sbyte)Math.Clamp(MathF.Round(x[i] * inv), -127f, 127f);
        return amax / 127f;
    }

    /// <summary>y <c>[rows, out]</c> = x <c>[rows, in]</c> · Wᵀ through the int8 GEMM.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        int k = InlierCount, o = Rows;
        if (x.Length < (long)rows * Cols || y.Length < (long)rows * o)
            throw new ArgumentException($"W8A8 [{o}, {Cols}]: x holds {x.Length} floats, y {y.Length}, for {rows} rows");
        if (_xq.Length < rows * k) _xq = new sbyte[rows * k];
        if (_xScale.Length < rows) _xScale = new float[rows];
        if (_acc.Length < rows * o) _acc = new int[rows * o];
        if (_row.Length < k) _row = new float[k];
        var row = _row.AsSpan(0, k);
        float tensorMax = 0;
        if (_g == Int8Granularity.PerTensor)
            for (int r = 0; r < rows; r++)
            {
                Gather(x.Slice(r * Cols, Cols), row);
                tensorMax = MathF.Max(tensorMax, MathF.Abs(TensorPrimitives.MaxMagnitude<float>(row)));
            }
        for (int r = 0; r < rows; r++)
        {
            Gather(x.Slice(r * Cols, Cols), row);
            float amax = _g == Int8Granularity.PerTensor ? tensorMax : MathF.Abs(TensorPrimitives.MaxMagnitude<float>(row));
            _xScale[r] = Quantize(row, _xq.AsSpan(r * k, k), amax);
        }
        Int8Gemm.Forward(_xq, _w, _acc, rows, o, k);
        int no = _outliers.Length;
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * o, o);
            float sx = _xScale[r];
            for (int c = 0; c < o; c++) yr[c] = _acc[r * o + c] * sx * _wScale[c];
            if (no == 0) continue;
            var xr = x.Slice(r * Cols, Cols);
            for (int c = 0; c < o; c++)
            {
                float s = 0;
                for (int i = 0; i < no; i++) s += xr[_outliers[i]] * _wOut[c * no + i];
                yr[c] += s;
            }
        }
    }

    private void Gather(ReadOnlySpan<float> full, Span<float> inl)
    {
        if (_inliers is null) full.CopyTo(inl);
        else for (int i = 0; i < _inliers.Length; i++) inl[i] = full[_inliers[i]];
    }
}
