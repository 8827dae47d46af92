namespace Tokamak.Tensors.Quant;

/// <summary>
/// Round-to-nearest fitting of a K-quant super-block of 256 values split into equal sub-blocks, each with its own
/// quantized scale (and minimum) times one F16 super-block scale.
/// </summary>
/// <remarks>
/// Unlike llama.cpp's <c>make_qkx2_quants</c>/<c>make_qx_quants</c>, which search several candidate scales per
/// sub-block for the least weighted squared error, this fits each sub-block directly and rounds its quantized
/// scale <em>up</em>, so every value stays inside the representable range. That gives a hard bound on every
/// element's error (stated per type, see the block classes) at the cost of a somewhat larger mean error: on
/// Gaussian data the RMS error is near the uniform-quantizer figure step/√12, where the search typically gains
/// 5–15 % for 4–6 bits and more for 2–3 bits.
/// </remarks>
internal static class KQuantFit
{
    /// <summary>
    /// Asymmetric fit (Q2_K, Q4_K, Q5_K): x ≈ (d·sc)·q − dmin·mn with q in 0..nmax, sc and mn in 0..scaleMax.
    /// mn is chosen so dmin·mn ≥ −min(0, min x) and sc so d·sc·nmax ≥ max x + dmin·mn; then every element is
    /// within half a step d·sc of its value.
    /// </summary>
    public static void Asymmetric(ReadOnlySpan<float> x, int subSize, int nmax, int scaleMax,
        Span<byte> sc, Span<byte> mn, Span<byte> levels, out Half d, out Half dmin)
    {
        int nsub = x.Length / subSize;
        Span<float> off = stackalloc float[nsub];
        Span<float> hi = stackalloc float[nsub];
        float maxOff = 0;
        for (int j = 0; j < nsub; j++)
        {
            float lo = 0, h = float.MinValue;
            foreach (float v in x.Slice(j * subSize, subSize))
            {
                lo = MathF.Min(lo, v);
                h = MathF.Max(h, v);
            }
            off[j] = -lo;
            hi[j] = h;
            maxOff = MathF.Max(maxOff, off[j]);
        }
        dmin = maxOff > 0 ? HalfScale.AtLeast(maxOff / scaleMax) : Half.Zero;
        float fdmin = (float)dmin;
        Span<float> need = stackalloc float[nsub];
        float maxNeed = 0;
        for (int j = 0; j < nsub; j++)
        {
            mn[j] = fdmin > 0 ? (byte)Math.Min(scaleMax, (int)MathF.Ceiling(off[j] / fdmin)) : (byte)0;
            need[j] = MathF.Max(0, (hi[j] + fdmin * mn[j]) / nmax);
            maxNeed = MathF.Max(maxNeed, need[j]);
        }
        d = maxNeed > 0 ? HalfScale.AtLeast(maxNeed / scaleMax) : Half.Zero;
        float fd = (float)d;
        for (int j = 0; j < nsub; j++)
        {
            sc[j] = fd > 0 ? (byte)Math.Min(scaleMax, (int)MathF.Ceiling(need[j] / fd)) : (byte)0;
            // The same float products the decoder forms.
            float step = fd * sc[j], m = fdmin * mn[j];
            for (int i = j * subSize; i < (j + 1) * subSize; i++)
                levels[i] = step > 0 ? (byte)Math.Clamp((int)MathF.Round((x[i] + m) / step), 0, nmax) : (byte)0;
        }
    }

    /// <summary>
    /// Symmetric fit (Q3_K, Q6_K): x ≈ (d·sc)·q with q in −nmax..nmax−1 and signed sc in −scaleMax..scaleMax.
    /// As in ggml, each sub-block's element of largest magnitude maps to q = −nmax; |sc| is rounded up so it
    /// cannot overflow. Error ≤ half a step, or ≤ one step for an opposite-sign element close to the largest
    /// magnitude (it clamps at nmax − 1). Returned levels are q + nmax (0..2·nmax−1).
    /// </summary>
    public static void Symmetric(ReadOnlySpan<float> x, int subSize, int nmax, int scaleMax,
        Span<sbyte> sc, Span<byte> levels, out Half d)
    {
        int nsub = x.Length / subSize;
        Span<float> s = stackalloc float[nsub];
        float maxS = 0;
        for (int j = 0; j < nsub; j++)
        {
            float amax = 0, max = 0;
            foreach (float v in x.Slice(j * subSize, subSize))
            {
                if (MathF.Abs(v) <= amax) continue;
                amax = MathF.Abs(v);
                max = v;
            }
            s[j] = max / -nmax;
            maxS = MathF.Max(maxS, amax / nmax);
        }
        d = maxS > 0 ? HalfScale.AtLeast(maxS / scaleMax) : Half.Zero;
        float fd = (float)d;
        for (int j = 0; j < nsub; j++)
        {
            int mag = fd > 0 ? Math.Min(scaleMax, (int)MathF.Ceiling(MathF.Abs(s[j]) / fd)) : 0;
            sc[j] = (sbyte)(s[j] < 0 ? -mag : mag);
            float step = fd * sc[j];
            for (int i = j * subSize; i < (j + 1) * subSize; i++)
                levels[i] = (byte)(step != 0 ? Math.Clamp((int)MathF.Round(x[i] / step), -nmax, nmax - 1) + nmax : nmax);
        }
    }
}
