namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q6_K super-block (ggml <c>block_q6_K</c>, 210 bytes): <c>{u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}</c>.
/// In half h &lt; 2 (elements 128h..128h+127, ql from 64h, qh from 32h) and for l &lt; 32, elements l, l+32,
/// l+64, l+96 take their low nibbles from ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high and their top two
/// bits from bits 0–1, 2–3, 4–5, 6–7 of qh[l]; q = bits − 32. Sub-block i (16 elements, in order) has the signed
/// scale scales[i]; x = (d·scales[i])·q.
/// </summary>
/// <remarks>Quantizing: <see cref="KQuantFit.Symmetric"/> with nmax 32 and |scale| ≤ 127.</remarks>
public static unsafe class Q6_KBlock
{
    /// <summary>Bytes per super-block of 256.</summary>
    public const int Bytes = 210;

    /// <summary>Decodes one super-block into <paramref name="y"/>[0..256).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b + 208);
        var sc = (sbyte*)(b + 192);
        for (int h = 0; h < 2; h++)
        {
            byte* ql = b + 64 * h, qh = b + 128 + 32 * h;
            float* yh = y + 128 * h;
            sbyte* s = sc + 8 * h;
            for (int l = 0; l < 32; l++)
            {
                int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                int i = l >> 4;
                yh[l] = d * s[i] * q1;
                yh[l + 32] = d * s[i + 2] * q2;
                yh[l + 64] = d * s[i + 4] * q3;
                yh[l + 96] = d * s[i + 6] * q4;
            }
        }
    }

    /// <summary>Encodes 256 values into one super-block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        Span<sbyte> sc = stackalloc sbyte[16];
        Span<byte> u = stackalloc byte[256];
        KQuantFit.Symmetric(x, 16, 32, 127, sc, u, out Half d);
        for (int h = 0; h < 2; h++)
        {
            byte* ql = b + 64 * h, qh = b + 128 + 32 * h;
            int o = 128 * h;
            for (int l = 0; l < 32; l++)
            {
                int q1 = u[o + l], q2 = u[o + l + 32], q3 = u[o + l + 64], q4 = u[o + l + 96];
                ql[l] = (byte)((q1 & 0xF) | (q3 & 0xF) << 4);
                ql[l + 32] = (byte)((q2 & 0xF) | (q4 & 0xF) << 4);
                qh[l] = (byte)(q1 >> 4 | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
        for (int i = 0; i < 16; i++) b[192 + i] = (byte)sc[i];
        HalfScale.Write(b + 208, d);
    }
}
