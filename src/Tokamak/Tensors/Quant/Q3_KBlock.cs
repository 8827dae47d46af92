namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q3_K super-block (ggml <c>block_q3_K</c>, 110 bytes): <c>{u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}</c>.
/// Element e = 128·n + 32·j + k (n &lt; 2, j &lt; 4, k &lt; 32) has its low two bits in bits 2j..2j+1 of
/// qs[32·n + k] and its high bit in bit 4n+j of hmask[k]; q = low − (high ? 0 : 4) in −4..3.
/// Sub-block i (16 elements, in order) has a 6-bit scale u: low 4 bits in scales[i] (i &lt; 8) or the high
/// nibble of scales[i − 8], top 2 bits in bits 2·(i/4) of scales[8 + i%4]; x = (d·(u − 32))·q.
/// </summary>
/// <remarks>Quantizing: <see cref="KQuantFit.Symmetric"/> with nmax 4 and |scale| ≤ 31.</remarks>
public static unsafe class Q3_KBlock
{
    /// <summary>Bytes per super-block of 256.</summary>
    public const int Bytes = 110;

    /// <summary>The 6-bit scale field of sub-block <paramref name="i"/> (0..63, the scale is this − 32).</summary>
    public static int Scale(byte* scales, int i) =>
        (i < 8 ? scales[i] & 0xF : scales[i - 8] >> 4) | ((scales[8 + (i & 3)] >> (2 * (i >> 2))) & 3) << 4;

    /// <summary>Decodes one super-block into <paramref name="y"/>[0..256).</summary>
    public static void Decode(byte* b, float* y)
    {
        byte* hmask = b, qs = b + 32, scales = b + 96;
        float d = HalfScale.Read(b + 108);
        for (int i = 0; i < 16; i++)
        {
            float dl = d * (Scale(scales, i) - 32);
            for (int e = 16 * i; e < 16 * i + 16; e++)
            {
                int n = e >> 7, j = (e >> 5) & 3, k = e & 31;
                int q = ((qs[32 * n + k] >> (2 * j)) & 3) - ((hmask[k] >> (4 * n + j) & 1) != 0 ? 0 : 4);
                y[e] = dl * q;
            }
        }
    }

    /// <summary>Encodes 256 values into one super-block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        Span<sbyte> sc = stackalloc sbyte[16];
        Span<byte> u = stackalloc byte[256];
        KQuantFit.Symmetric(x, 16, 4, 31, sc, u, out Half d);
        new Span<byte>(b, 108).Clear();
        byte* hmask = b, qs = b + 32, scales = b + 96;
        for (int e = 0; e < 256; e++)
        {
            int n = e >> 7, j = (e >> 5) & 3, k = e & 31;
            qs[32 * n + k] |= (byte)((u[e] & 3) << (2 * j));
            if (u[e] >= 4) hmask[k] |= (byte)(1 << (4 * n + j));
        }
        for (int i = 0; i < 16; i++)
        {
            int v = sc[i] + 32;
            if (i < 8) scales[i] |= (byte)(v & 0xF);
            else scales[i - 8] |= (byte)((v & 0xF) << 4);
            scales[8 + (i & 3)] |= (byte)((v >> 4) << (2 * (i >> 2)));
        }
        HalfScale.Write(b + 108, d);
    }
}
