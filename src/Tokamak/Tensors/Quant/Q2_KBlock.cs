namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q2_K super-block (ggml <c>block_q2_K</c>, 84 bytes): <c>{u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}</c>.
/// Sub-block i (16 elements, in order) has scale <c>scales[i] &amp; 0xF</c> and min <c>scales[i] &gt;&gt; 4</c>.
/// Element e = 128·n + 32·j + k (n &lt; 2, j &lt; 4, k &lt; 32) is bits 2j..2j+1 of qs[32·n + k];
/// x = (d·sc)·q − dmin·m.
/// </summary>
/// <remarks>Quantizing: <see cref="KQuantFit.Asymmetric"/> with 4-bit scales/mins; error ≤ d·sc/2 per element.</remarks>
public static unsafe class Q2_KBlock
{
    /// <summary>Bytes per super-block of 256.</summary>
    public const int Bytes = 84;

    /// <summary>Decodes one super-block into <paramref name="y"/>[0..256).</summary>
    public static void Decode(byte* b, float* y)
    {
        byte* scales = b, qs = b + 16;
        float d = HalfScale.Read(b + 80), dmin = HalfScale.Read(b + 82);
        for (int e = 0; e < 256; e++)
        {
            int n = e >> 7, j = (e >> 5) & 3, k = e & 31;
            int sc = scales[e >> 4];
            float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
            y[e] = dl * ((qs[32 * n + k] >> (2 * j)) & 3) - ml;
        }
    }

    /// <summary>Encodes 256 values into one super-block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        Span<byte> sc = stackalloc byte[16], mn = stackalloc byte[16], q = stackalloc byte[256];
        KQuantFit.Asymmetric(x, 16, 3, 15, sc, mn, q, out Half d, out Half dmin);
        for (int i = 0; i < 16; i++) b[i] = (byte)(sc[i] | mn[i] << 4);
        byte* qs = b + 16;
        new Span<byte>(qs, 64).Clear();
        for (int e = 0; e < 256; e++)
            qs[32 * (e >> 7) + (e & 31)] |= (byte)(q[e] << (2 * ((e >> 5) & 3)));
        HalfScale.Write(b + 80, d);
        HalfScale.Write(b + 82, dmin);
    }
}
