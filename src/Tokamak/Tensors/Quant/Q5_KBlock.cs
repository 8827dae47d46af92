namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q5_K super-block (ggml <c>block_q5_K</c>, 176 bytes): <c>{f16 d; f16 dmin; u8 scales[12]; u8 qh[32];
/// u8 qs[128]}</c>. Low 4 bits as in <see cref="Q4_KBlock"/>; the fifth bit of element 64c + l is bit 2c of qh[l]
/// and of element 64c + 32 + l bit 2c+1; x = (d·sc)·q − dmin·m with q in 0..31.
/// </summary>
/// <remarks>Quantizing: <see cref="KQuantFit.Asymmetric"/> with nmax 31 and 6-bit scales/mins; error ≤ d·sc/2.</remarks>
public static unsafe class Q5_KBlock
{
    /// <summary>Bytes per super-block of 256.</summary>
    public const int Bytes = 176;

    /// <summary>Decodes one super-block into <paramref name="y"/>[0..256).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b), dmin = HalfScale.Read(b + 2);
        byte* scales = b + 4, qh = b + 16, qs = b + 48;
        for (int c = 0; c < 4; c++)
        {
            KScales6.Get(scales, 2 * c, out int s0, out int m0);
            KScales6.Get(scales, 2 * c + 1, out int s1, out int m1);
            float d0 = d * s0, dm0 = dmin * m0, d1 = d * s1, dm1 = dmin * m1;
            byte* q = qs + 32 * c;
            for (int l = 0; l < 32; l++)
            {
                y[64 * c + l] = d0 * ((q[l] & 0xF) + ((qh[l] >> (2 * c)) & 1) * 16) - dm0;
                y[64 * c + 32 + l] = d1 * ((q[l] >> 4) + ((qh[l] >> (2 * c + 1)) & 1) * 16) - dm1;
            }
        }
    }

    /// <summary>Encodes 256 values into one super-block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        Span<byte> sc = stackalloc byte[8], mn = stackalloc byte[8], q = stackalloc byte[256];
        KQuantFit.Asymmetric(x, 32, 31, 63, sc, mn, q, out Half d, out Half dmin);
        HalfScale.Write(b, d);
        HalfScale.Write(b + 2, dmin);
        KScales6.Pack(sc, mn, b + 4);
        byte* qh = b + 16, qs = b + 48;
        new Span<byte>(qh, 32).Clear();
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
            {
                int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                qs[32 * c + l] = (byte)((lo & 0xF) | (hi & 0xF) << 4);
                qh[l] |= (byte)((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
            }
    }
}
