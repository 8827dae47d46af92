using Tokamak.Models.Architectures;

namespace Tokamak.Tests.Models.Architectures;

/// <summary>The tiled online-softmax attention against the naive full-softmax reference.</summary>
public class CausalAttentionTests
{
    [Theory]
    [InlineData(1, 0, 4, 4, 8)]
    [InlineData(5, 0, 8, 2, 16)]
    [InlineData(3, 61, 6, 3, 10)]   // crosses a 64-key tile boundary, odd head width
    [InlineData(7, 130, 14, 2, 64)] // Qwen2.5-0.5B's head layout
    public void TiledEqualsNaive(int n, int startPos, int heads, int kvHeads, int headDim)
    {
        var rng = new Random(n * 1000 + startPos);
        int positions = startPos + n, kvDim = kvHeads * headDim;
        float[] q = Rand(rng, n * heads * headDim, 2f), k = Rand(rng, positions * kvDim, 2f), v = Rand(rng, positions * kvDim, 1f);
        var fast = new float[n * heads * headDim];
        var slow = new float[n * heads * headDim];
        CausalAttention.Forward(q, k, v, fast, n, startPos, heads, kvHeads, headDim);
        CausalAttention.ForwardScalar(q, k, v, slow, n, startPos, heads, kvHeads, headDim);
        for (int i = 0; i < fast.Length; i++) Assert.True(MathF.Abs(fast[i] - slow[i]) < 1e-5f, $"[{i}] {fast[i]} vs {slow[i]}");
    }

    [Fact]
    public void F16ModeMatchesReferenceOnHalfValues()
    {
        var rng = new Random(7);
        int n = 3, start = 20, heads = 4, kvHeads = 2, hd = 8, kvDim = kvHeads * hd, positions = start + n;
        float[] q = Rand(rng, n * heads * hd, 1f), k = Rand(rng, positions * kvDim, 1f), v = Rand(rng, positions * kvDim, 1f);
        for (int i = 0; i < k.Length; i++) { k[i] = (float)(Half)k[i]; v[i] = (float)(Half)v[i]; }
        var f16 = new float[q.Length];
        var exact = new float[q.Length];
        for (int item = 0; item < n * heads; item++) CausalAttention.OneF16(q, k, v, f16, item, start, heads, kvHeads, hd);
        CausalAttention.ForwardScalar(q, k, v, exact, n, start, heads, kvHeads, hd);
        // Only the F16 rounding of q and of the probabilities separates the two: ~1e-3 relative.
        for (int i = 0; i < f16.Length; i++) Assert.True(MathF.Abs(f16[i] - exact[i]) < 5e-3f, $"[{i}] {f16[i]} vs {exact[i]}");
    }

    private static float[] Rand(Random rng, int count, float scale) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
}
