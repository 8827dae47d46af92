using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors.Quant;

/// <summary>
/// Hand-built blocks decode to values worked out by hand from ggml's documented block layouts
/// (ggml-common.h structs, ggml-quants.c dequantize_row_*). Each expectation is written independently of the code.
/// </summary>
public sealed unsafe class BlockLayoutTests
{
    private static float[] Decode(DType t, byte[] block)
    {
        var y = new float[DTypes.BlockSize(t)];
        Assert.Equal(DTypes.BlockBytes(t), block.Length);
        fixed (byte* p = block) Dequant.RowScalar(t, p, y);
        var simd = new float[y.Length];
        fixed (byte* p = block) Dequant.Row(t, p, simd);
        Assert.Equal(y, simd);
        return y;
    }

    private static void PutHalf(byte[] b, int at, float v) => BitConverter.TryWriteBytes(b.AsSpan(at), (Half)v);

    [Fact]
    public void Q4_1_IsScaleTimesNibblePlusMin()
    {
        var b = new byte[20];
        PutHalf(b, 0, 0.5f);
        PutHalf(b, 2, -1f);
        for (int j = 0; j < 16; j++) b[4 + j] = (byte)(j | (15 - j) << 4);
        var y = Decode(DType.Q4_1, b);
        Assert.Equal(-1f, y[0]);          // 0·0.5 − 1
        Assert.Equal(2.5f, y[7]);         // 7·0.5 − 1
        Assert.Equal(6.5f, y[16]);        // high nibble of byte 0 is 15: 15·0.5 − 1
        Assert.Equal(-1f, y[31]);         // high nibble of byte 15 is 0
    }

    [Fact]
    public void Q5_0_TakesTheFifthBitFromQh()
    {
        var b = new byte[22];
        PutHalf(b, 0, 0.25f);
        // qh little-endian 0x80010003: bits 0, 1, 16, 31 set.
        b[2] = 0x03; b[3] = 0x00; b[4] = 0x01; b[5] = 0x80;
        for (int j = 0; j < 16; j++) b[6 + j] = 0x21; // low nibble 1, high nibble 2
        var y = Decode(DType.Q5_0, b);
        Assert.Equal((17 - 16) * 0.25f, y[0]);   // 1 | 16 (bit 0)
        Assert.Equal((17 - 16) * 0.25f, y[1]);   // bit 1
        Assert.Equal((1 - 16) * 0.25f, y[2]);    // no fifth bit
        Assert.Equal((18 - 16) * 0.25f, y[16]);  // 2 | 16 (bit 16)
        Assert.Equal((2 - 16) * 0.25f, y[17]);
        Assert.Equal((18 - 16) * 0.25f, y[31]);  // bit 31
    }

    [Fact]
    public void Q5_1_AddsTheMin()
    {
        var b = new byte[24];
        PutHalf(b, 0, 2f);
        PutHalf(b, 2, 0.5f);
        b[4] = 0x00; b[5] = 0x00; b[6] = 0x00; b[7] = 0x40; // bit 30: element 30
        b[8 + 14] = 0xF3;                                    // element 14 = 3, element 30 = 15 | 16
        var y = Decode(DType.Q5_1, b);
        Assert.Equal(3 * 2f + 0.5f, y[14]);
        Assert.Equal(31 * 2f + 0.5f, y[30]);
        Assert.Equal(0.5f, y[0]);
    }

    [Fact]
    public void Q2_K_UsesFourBitScalesAndTwoBitCrumbs()
    {
        var b = new byte[84];
        for (int i = 0; i < 16; i++) b[i] = (byte)((i + 1) % 16 | 2 << 4); // scale i+1 (mod 16), min 2
        for (int k = 0; k < 64; k++) b[16 + k] = 0b11_10_01_00;           // crumb j holds value j
        PutHalf(b, 80, 0.5f);
        PutHalf(b, 82, 0.25f);
        var y = Decode(DType.Q2_K, b);
        // Element 0: sub-block 0 (scale 1), crumb 0 → 0.5·1·0 − 0.25·2.
        Assert.Equal(-0.5f, y[0]);
        // Element 40: sub-block 2 (scale 3), e = 32·1 + 8 → crumb 1 → 0.5·3·1 − 0.5.
        Assert.Equal(1f, y[40]);
        // Element 200: sub-block 12 (scale 13), e = 128 + 32·2 + 8 → crumb 2 → 0.5·13·2 − 0.5.
        Assert.Equal(12.5f, y[200]);
        // Element 255: sub-block 15 (scale 0), crumb 3 → −0.5.
        Assert.Equal(-0.5f, y[255]);
    }

    [Fact]
    public void Q3_K_PacksSixBitScalesAndTheHighMask()
    {
        var b = new byte[110];
        // hmask: bit (4n + j) of hmask[k] is the high bit of element 128n + 32j + k. Set it only for k even.
        for (int k = 0; k < 32; k++) b[k] = (byte)(k % 2 == 0 ? 0xFF : 0x00);
        for (int k = 0; k < 64; k++) b[32 + k] = 0b11_10_01_00; // low bits: value j in crumb j
        // 6-bit scale fields: sub-block 0 → 33 (scale 1), 5 → 30 (scale −2), 9 → 36 (scale 4), 14 → 63 (scale 31).
        // 33 = 0b10_0001: low 1 in scales[0] low nibble, high 2 in bits 0-1 of scales[8].
        // 30 = 0b01_1110: low 14 in scales[5] low nibble, high 1 in bits 2-3 of scales[9].
        // 36 = 0b10_0100: low 4 in scales[1] high nibble, high 2 in bits 4-5 of scales[9].
        // 63 = 0b11_1111: low 15 in scales[6] high nibble, high 3 in bits 6-7 of scales[10].
        // Every other sub-block's field stays 0 (scale −32).
        b[96 + 0] = 0x01;
        b[96 + 5] = 0x0E;
        b[96 + 1] = 0x40;
        b[96 + 6] = 0xF0;
        b[96 + 8] = 0b00_00_00_10;
        b[96 + 9] = 0b00_10_01_00;
        b[96 + 10] = 0b11_00_00_00;
        PutHalf(b, 108, 0.5f);
        var y = Decode(DType.Q3_K, b);
        // Element 0 (sub-block 0, k 0 even → high bit set, crumb 0): q = 0 → 0.
        Assert.Equal(0f, y[0]);
        // Element 1 (k odd → q = 0 − 4): 0.5·1·(−4).
        Assert.Equal(-2f, y[1]);
        // Element 80 = 32·2 + 16 (sub-block 5, k 16 even, crumb 2): q = 2 → 0.5·(−2)·2.
        Assert.Equal(-2f, y[80]);
        // Element 145 = 128 + 16 + 1 (sub-block 9, k 17 odd, crumb 0): q = −4 → 0.5·4·(−4).
        Assert.Equal(-8f, y[145]);
        // Element 230 = 128 + 32·3 + 6 (sub-block 14, k 6 even, crumb 3): q = 3 → 0.5·31·3.
        Assert.Equal(46.5f, y[230]);
        // Element 20 (sub-block 1, field 0 → scale −32, k 20 even, crumb 0): 0.
        Assert.Equal(0f, y[20]);
        // Element 51 (sub-block 3, scale −32, k 19 odd, crumb 1): q = 1 − 4 → 0.5·(−32)·(−3).
        Assert.Equal(48f, y[51]);
    }

    [Fact]
    public void Q4_K_UnpacksSixBitScalesAndMins()
    {
        var b = new byte[144];
        PutHalf(b, 0, 0.5f);   // d
        PutHalf(b, 2, 0.25f);  // dmin
        // Sub-block 1: scale 10, min 3 → scales[1] = 10, scales[5] = 3.
        b[4 + 1] = 10; b[4 + 5] = 3;
        // Sub-block 6: scale 37 = 0b10_0101, min 50 = 0b11_0010: low nibbles in scales[10] (5 | 2<<4),
        // top bits in bits 6-7 of scales[2] (2) and scales[6] (3).
        b[4 + 10] = 0x25;
        b[4 + 2] = 2 << 6;
        b[4 + 6] = 3 << 6;
        // Element 32 + 4 (sub-block 1) is the high nibble of qs[4]; element 192 + 7 (sub-block 6) the low nibble of qs[96 + 7].
        b[16 + 4] = 0x90;
        b[16 + 96 + 7] = 0x0C;
        var y = Decode(DType.Q4_K, b);
        Assert.Equal(0.5f * 10 * 9 - 0.25f * 3, y[36]);
        Assert.Equal(0.5f * 37 * 12 - 0.25f * 50, y[199]);
        Assert.Equal(-0.25f * 3, y[33]); // same sub-block, q = 0
        Assert.Equal(0f, y[0]);          // sub-block 0: scale 0, min 0
    }

    [Fact]
    public void Q5_K_AddsSixteenFromQh()
    {
        var b = new byte[176];
        PutHalf(b, 0, 1f);
        PutHalf(b, 2, 1f);
        // Sub-block 5 (elements 160..191, chunk 2 high nibbles): scale 2, min 1 → scales[9] = 2 | 1<<4, top bits 0.
        b[4 + 9] = 0x12;
        // Element 165 = 64·2 + 32 + 5: high nibble of qs[64 + 5], fifth bit is bit 5 of qh[5].
        b[48 + 64 + 5] = 0x70;
        b[16 + 5] = 1 << 5;
        // Element 133 = 64·2 + 5 (sub-block 4, scale 0) shares qh[5] bit 4 — left clear.
        var y = Decode(DType.Q5_K, b);
        Assert.Equal(1f * 2 * (7 + 16) - 1f * 1, y[165]);
        Assert.Equal(-1f, y[160]);
        Assert.Equal(0f, y[133]);
    }

    [Fact]
    public void Q6_K_CombinesNibblesAndTwoHighBits()
    {
        var b = new byte[210];
        // Half 0, l = 0: ql[0] = 0x5A, ql[32] = 0x3C, qh[0] = 0b10_01_11_00.
        b[0] = 0x5A; b[32] = 0x3C; b[128] = 0b10_01_11_00;
        // Half 1, l = 17: ql[64 + 17] = 0x01, qh[128 + 32 + 17] = 0b00_00_00_11.
        b[64 + 17] = 0x01; b[160 + 17] = 0b11;
        sbyte[] sc = [2, 0, -3, 0, 5, 0, 1, 0, 0, 7, 0, 0, 0, 0, 0, 0];
        for (int i = 0; i < 16; i++) b[192 + i] = (byte)sc[i];
        PutHalf(b, 208, 0.5f);
        var y = Decode(DType.Q6_K, b);
        Assert.Equal(0.5f * 2 * (10 - 32), y[0]);            // A | 00<<4
        Assert.Equal(0.5f * -3 * ((12 | 3 << 4) - 32), y[32]); // C | 11<<4, scale[2]
        Assert.Equal(0.5f * 5 * ((5 | 1 << 4) - 32), y[64]);  // 5 | 01<<4, scale[4]
        Assert.Equal(0.5f * 1 * ((3 | 2 << 4) - 32), y[96]);  // 3 | 10<<4, scale[6]
        Assert.Equal(0.5f * 7 * ((1 | 3 << 4) - 32), y[128 + 17]); // scale[8 + 1]
        Assert.Equal(-32f, y[1]);                             // all bits 0: q = −32, scale[0] = 2
    }
}
