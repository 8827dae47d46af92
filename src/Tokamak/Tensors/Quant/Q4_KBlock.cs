namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q4_K super-block (ggml <c>block_q4_K</c>, 144 bytes): <c>{f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}</c>.
/// Eight sub-blocks of 32 with 6-bit scale and min (<see cref="KScales6"/>). For chunk c &lt; 4, byte qs[32c + l]
/// holds element 64c + l (sub-block 2c) in its low nibble and element 64c + 32 + l (sub-block 2c+1) in its high
/// nibble; x = (d·sc)·q − dmin·m.
/// </summary>
/// <remarks>Quantizing: <see cref="KQuantFit.Asymmetric"/> with nmax 15 and 6-bit scales/mins; error ≤ d·sc/2.</remarks>
public static unsafe class Q4_KBlock
{
    /// <summary>Bytes per super-block of 256.</summary>
    public const int Bytes = 144;

    /// <summary>Decodes one super-block into <paramref name="y"/>[0..256).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b), dmin = HalfScale.Read(b + 2);
        byte* scales = b + 4, qs = b + 16;
        for (int c = 0; c < 4; c++)
        {
            KScales6.Get(scales, 2 * c, out int s0, out int m0);
            KScales6.Get(scales, 2 * c + 1, out int s1, out int m1);
            float d0 = d * s0, dm0 = dmin * m0, d1 = d * s1, dm1 = dmin * m1;
            byte* q = qs + 32 * c;
            for (int l = 0; l < 32; l++)
            {
                y[64 * c + l] = d0 * (q[l] & 0xF) - dm0;
                y[64 * c + 32 + l] = d1 * (q[l] >> 4) - dm1;
            }
        }
    }

    /// <summary>Encodes 256 values into one super-block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        Span<byte> sc = stackalloc byte[8], mn = stackalloc byte[8], q = stackalloc byte[256];
        KQuantFit.Asymmetric(x, 32, 15, 63, sc, mn, q, out Half d, out Half dmin);
        HalfScale.Write(b, d);
        HalfScale.Write(b + 2, dmin);
        KScales6.Pack(sc, mn, b + 4);
        byte* qs = b + 16;
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                qs[32 * c + l] = (byte)(q[64 * c + l] | q[64 * c + 32 + l] << 4);
    }
}
