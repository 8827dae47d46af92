namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q4_1 block (ggml <c>block_q4_1</c>, 20 bytes): <c>{f16 d; f16 m; u8 qs[16]}</c>. Byte j holds element j in
/// its low nibble and element j+16 in its high nibble; x = q·d + m with q in 0..15.
/// </summary>
/// <remarks>
/// Quantizing (round-to-nearest): m is the block minimum rounded down to F16, d the range (max − m)/15 rounded up
/// to F16, q = round((x − m)/d). Every element is within d/2 of its value (d ≈ range/15), and quantizing
/// dequantized values reproduces them.
/// </remarks>
public static unsafe class Q4_1Block
{
    /// <summary>Bytes per block of 32.</summary>
    public const int Bytes = 20;

    /// <summary>Decodes one block into <paramref name="y"/>[0..32).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b), m = HalfScale.Read(b + 2);
        byte* qs = b + 4;
        for (int j = 0; j < 16; j++)
        {
            y[j] = (qs[j] & 0xF) * d + m;
            y[j + 16] = (qs[j] >> 4) * d + m;
        }
    }

    /// <summary>Encodes 32 values into one block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        AffineBlock.Fit(x, 15, out Half d, out Half m);
        HalfScale.Write(b, d);
        HalfScale.Write(b + 2, m);
        float fd = (float)d, fm = (float)m;
        byte* qs = b + 4;
        for (int j = 0; j < 16; j++)
            qs[j] = (byte)(AffineBlock.Level(x[j], fd, fm, 15) | AffineBlock.Level(x[j + 16], fd, fm, 15) << 4);
    }
}

/// <summary>Scale and minimum of the 32-element "x = q·d + m" blocks (Q4_1, Q5_1).</summary>
internal static class AffineBlock
{
    /// <summary>m = min rounded down, d = (max − m)/nmax rounded up, both to F16.</summary>
    public static void Fit(ReadOnlySpan<float> x, int nmax, out Half d, out Half m)
    {
        float lo = float.MaxValue, hi = float.MinValue;
        foreach (float v in x)
        {
            lo = MathF.Min(lo, v);
            hi = MathF.Max(hi, v);
        }
        m = HalfScale.AtMost(lo);
        d = HalfScale.AtLeast((hi - (float)m) / nmax);
    }

    /// <summary>round((x − m)/d) clamped to 0..nmax (0 when d is 0).</summary>
    public static int Level(float x, float d, float m, int nmax) =>
        d == 0 ? 0 : Math.Clamp((int)MathF.Round((x - m) / d), 0, nmax);
}
