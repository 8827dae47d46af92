namespace Tokamak.Training.Layers;

/// <summary>
/// Output projection that reuses the token embedding <c>E [vocab, dim]</c> as its weight: <c>logits = x · Eᵀ</c>.
/// Its weight gradient adds into the embedding's gradient, on top of the lookup's scatter.
/// </summary>
public static class TiedLmHead
{
    /// <summary><c>logits [n, vocab] = x [n, dim] · Eᵀ</c>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> embedding, Span<float> logits, int n, int dim, int vocab) =>
        Linear.Forward(x, embedding, [], logits, n, dim, vocab);

    /// <summary><c>dx += dLogits · E</c>, <c>dE += dLogitsᵀ · x</c>.</summary>
    public static void Backward(ReadOnlySpan<float> dLogits, ReadOnlySpan<float> x, ReadOnlySpan<float> embedding,
        Span<float> dx, Span<float> dEmbedding, int n, int dim, int vocab) =>
        Linear.Backward(dLogits, x, embedding, dx, dEmbedding, [], n, dim, vocab);
}
