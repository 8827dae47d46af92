namespace Tokamak.Tensors.Quant;

/// <summary>
/// The 12-byte field of 8 six-bit scales and 8 six-bit mins shared by Q4_K and Q5_K (ggml's
/// <c>get_scale_min_k4</c>): for j &lt; 4, scale = q[j] &amp; 63 and min = q[j+4] &amp; 63; for j ≥ 4 the low
/// nibbles sit in q[j+4] (scale low, min high) and the top two bits in bits 6..7 of q[j−4] (scale) and q[j] (min).
/// </summary>
public static unsafe class KScales6
{
    /// <summary>Scale and min of sub-block <paramref name="j"/> (0..7).</summary>
    public static void Get(byte* q, int j, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | (q[j - 4] >> 6) << 4;
            min = (q[j + 4] >> 4) | (q[j] >> 6) << 4;
        }
    }

    /// <summary>Packs 8 scales and 8 mins (each 0..63) into <paramref name="q"/>[0..12).</summary>
    public static void Pack(ReadOnlySpan<byte> scales, ReadOnlySpan<byte> mins, byte* q)
    {
        new Span<byte>(q, 12).Clear();
        for (int j = 0; j < 8; j++)
        {
            if (j < 4)
            {
                q[j] |= scales[j];
                q[j + 4] |= mins[j];
            }
            else
            {
                q[j + 4] = (byte)((scales[j] & 0xF) | (mins[j] & 0xF) << 4);
                q[j - 4] |= (byte)((scales[j] >> 4) << 6);
                q[j] |= (byte)((mins[j] >> 4) << 6);
            }
        }
    }
}
