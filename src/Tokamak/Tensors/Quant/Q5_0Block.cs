using System.Buffers.Binary;

namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q5_0 block (ggml <c>block_q5_0</c>, 22 bytes): <c>{f16 d; u8 qh[4]; u8 qs[16]}</c>. Element j (j &lt; 16)
/// has its low 4 bits in the low nibble of qs[j] and its fifth bit in bit j of the little-endian uint32 qh;
/// element j+16 uses the high nibble of qs[j] and bit j+16. x = d·(q − 16) with q in 0..31.
/// </summary>
/// <remarks>
/// Quantizing follows ggml: the element of largest magnitude, with its sign, maps to q = 0 (d = max/−16, stored as
/// F16); q = clamp(⌊x/d + 16.5⌋, 0, 31) with the stored d. Error ≤ |d|/2, or ≤ |d| for an opposite-sign element
/// near the maximum magnitude that clamps at 31.
/// </remarks>
public static unsafe class Q5_0Block
{
    /// <summary>Bytes per block of 32.</summary>
    public const int Bytes = 22;

    /// <summary>Decodes one block into <paramref name="y"/>[0..32).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(b + 2, 4));
        byte* qs = b + 6;
        for (int j = 0; j < 16; j++)
        {
            int lo = (qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
            int hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (lo - 16) * d;
            y[j + 16] = (hi - 16) * d;
        }
    }

    /// <summary>Encodes 32 values into one block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
        {
            if (MathF.Abs(v) <= amax) continue;
            amax = MathF.Abs(v);
            max = v;
        }
        var d = (Half)(max / -16f);
        HalfScale.Write(b, d);
        float id = (float)d != 0 ? 1f / (float)d : 0f;
        uint qh = 0;
        byte* qs = b + 6;
        for (int j = 0; j < 16; j++)
        {
            int lo = Math.Clamp((int)MathF.Floor(x[j] * id + 16.5f), 0, 31);
            int hi = Math.Clamp((int)MathF.Floor(x[j + 16] * id + 16.5f), 0, 31);
            qs[j] = (byte)((lo & 0xF) | (hi & 0xF) << 4);
            qh |= (uint)(lo >> 4) << j | (uint)(hi >> 4) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(b + 2, 4), qh);
    }
}
