using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Training.Layers;

/// <summary>
/// Softmax cross-entropy over <c>logits [n, vocab]</c> with integer targets; targets equal to <see cref="IgnoreIndex"/>
/// (prompt tokens, padding) contribute neither loss nor gradient. The reported loss is the mean over counted tokens.
/// </summary>
public static class CrossEntropy
{
    /// <summary>The target value that masks a token out (PyTorch's default).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>
    /// Writes each token's loss into <c>losses [n]</c> (0 for ignored tokens) and returns the sum (in double) and the
    /// number of counted tokens. Mean loss = sum / count.
    /// </summary>
    public static (double Sum, int Count) Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> losses, int vocab)
    {
        int n = targets.Length;
        if (logits.Length < (long)n * vocab) throw new ArgumentException($"cross-entropy: logits hold {logits.Length} floats, need [{n}, {vocab}]");
        CheckTargets(targets, vocab);
        unsafe
        {
            fixed (float* pl = logits, pLoss = losses)
            fixed (int* pt = targets)
            {
                float* lp = pl, lossp = pLoss; int* tp = pt;
                ComputePool.Shared.For(n, 8, (start, end) =>
                {
                    for (int t = start; t < end; t++)
                    {
                        int y = tp[t];
                        if (y == IgnoreIndex) { lossp[t] = 0; continue; }
                        var row = new ReadOnlySpan<float>(lp + (long)t * vocab, vocab);
                        lossp[t] = LogSumExp(row) - row[y];
                    }
                });
            }
        }
        double sum = 0;
        int count = 0;
        for (int t = 0; t < n; t++)
            if (targets[t] != IgnoreIndex) { sum += losses[t]; count++; }
        return (sum, count);
    }

    /// <summary>
    /// <c>dLogits[t] = scale · (softmax(logits[t]) − onehot(target))</c>, zero rows for ignored tokens. For the mean loss
    /// pass <c>scale = upstream / count</c>. <paramref name="dLogits"/> may alias <paramref name="logits"/> (overwritten).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> dLogits, float scale, int vocab)
    {
        int n = targets.Length;
        if (logits.Length < (long)n * vocab || dLogits.Length < (long)n * vocab) throw new ArgumentException($"cross-entropy: logits/dLogits need [{n}, {vocab}] floats");
        CheckTargets(targets, vocab);
        unsafe
        {
            fixed (float* pl = logits, pd = dLogits)
            fixed (int* pt = targets)
            {
                float* lp = pl, dp = pd; int* tp = pt;
                ComputePool.Shared.For(n, 8, (start, end) =>
                {
                    for (int t = start; t < end; t++)
                    {
                        var d = new Span<float>(dp + (long)t * vocab, vocab);
                        int y = tp[t];
                        if (y == IgnoreIndex) { d.Clear(); continue; }
                        var row = new ReadOnlySpan<float>(lp + (long)t * vocab, vocab);
                        float lse = LogSumExp(row);
                        TensorPrimitives.Subtract(row, lse, d);
                        TensorPrimitives.Exp(d, d);
                        d[y] -= 1f;
                        TensorPrimitives.Multiply(d, scale, d);
                    }
                });
            }
        }
    }

    /// <summary>
    /// Per-token scaled form: <c>dLogits[t] = scales[t] · (softmax(logits[t]) − onehot(target))</c>, the gradient of
    /// <c>Σ_t scales[t] · loss[t]</c>. May alias like the uniform form.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> dLogits, ReadOnlySpan<float> scales, int vocab)
    {
        int n = targets.Length;
        if (scales.Length < n) throw new ArgumentException($"cross-entropy: {scales.Length} scales for {n} tokens");
        if (logits.Length < (long)n * vocab || dLogits.Length < (long)n * vocab) throw new ArgumentException($"cross-entropy: logits/dLogits need [{n}, {vocab}] floats");
        CheckTargets(targets, vocab);
        unsafe
        {
            fixed (float* pl = logits, pd = dLogits, ps = scales)
            fixed (int* pt = targets)
            {
                float* lp = pl, dp = pd, sp = ps; int* tp = pt;
                ComputePool.Shared.For(n, 8, (start, end) =>
                {
                    for (int t = start; t < end; t++)
                        Row(new ReadOnlySpan<float>(lp + (long)t * vocab, vocab), tp[t], new Span<float>(dp + (long)t * vocab, vocab), sp[t]);
                });
            }
        }
    }

    // One row of dLogits = scale · (softmax − onehot); reads the row fully before writing so it may alias.
    private static void Row(ReadOnlySpan<float> row, int y, Span<float> d, float scale)
    {
        if (y == IgnoreIndex) { d.Clear(); return; }
        float lse = LogSumExp(row);
        TensorPrimitives.Subtract(row, lse, d);
        TensorPrimitives.Exp(d, d);
        d[y] -= 1f;
        TensorPrimitives.Multiply(d, scale, d);
    }

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = TensorPrimitives.Max(row);
        double sum = 0;
        for (int i = 0; i < row.Length; i++) sum += MathF.Exp(row[i] - max);
        return max + (float)Math.Log(sum);
    }

    private static void CheckTargets(ReadOnlySpan<int> targets, int vocab)
    {
        for (int t = 0; t < targets.Length; t++)
            if (targets[t] != IgnoreIndex && (uint)targets[t] >= (uint)vocab)
                throw new ArgumentException($"target {targets[t]} at token {t} is outside the vocabulary [0, {vocab}) and is not the ignore index {IgnoreIndex}");
    }
}
