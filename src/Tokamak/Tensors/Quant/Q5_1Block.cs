using System.Buffers.Binary;

namespace Tokamak.Tensors.Quant;

/// <summary>
/// GGUF Q5_1 block (ggml <c>block_q5_1</c>, 24 bytes): <c>{f16 d; f16 m; u8 qh[4]; u8 qs[16]}</c>, bits placed as
/// in <see cref="Q5_0Block"/>; x = q·d + m with q in 0..31.
/// </summary>
/// <remarks>Quantizing as <see cref="Q4_1Block"/> with 31 levels: every element is within d/2 (d ≈ range/31).</remarks>
public static unsafe class Q5_1Block
{
    /// <summary>Bytes per block of 32.</summary>
    public const int Bytes = 24;

    /// <summary>Decodes one block into <paramref name="y"/>[0..32).</summary>
    public static void Decode(byte* b, float* y)
    {
        float d = HalfScale.Read(b), m = HalfScale.Read(b + 2);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(b + 4, 4));
        byte* qs = b + 8;
        for (int j = 0; j < 16; j++)
        {
            int lo = (qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
            int hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = lo * d + m;
            y[j + 16] = hi * d + m;
        }
    }

    /// <summary>Encodes 32 values into one block.</summary>
    public static void Encode(ReadOnlySpan<float> x, byte* b)
    {
        AffineBlock.Fit(x, 31, out Half d, out Half m);
        HalfScale.Write(b, d);
        HalfScale.Write(b + 2, m);
        float fd = (float)d, fm = (float)m;
        uint qh = 0;
        byte* qs = b + 8;
        for (int j = 0; j < 16; j++)
        {
            int lo = AffineBlock.Level(x[j], fd, fm, 31), hi = AffineBlock.Level(x[j + 16], fd, fm, 31);
            qs[j] = (byte)((lo & 0xF) | (hi & 0xF) << 4);
            qh |= (uint)(lo >> 4) << j | (uint)(hi >> 4) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(b + 4, 4), qh);
    }
}
