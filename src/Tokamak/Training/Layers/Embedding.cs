namespace Tokamak.Training.Layers;

/// <summary>Token embedding lookup: <c>out[t] = table[tokens[t]]</c> with <c>table [vocab, dim]</c>.</summary>
public static class Embedding
{
    /// <summary>Copies the rows of <paramref name="tokens"/> into <c>output [n, dim]</c>.</summary>
    public static void Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<float> table, Span<float> output, int dim)
    {
        int vocab = table.Length / dim;
        for (int t = 0; t < tokens.Length; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"token id {id} at position {t} is outside the vocabulary [0, {vocab})");
            table.Slice(id * dim, dim).CopyTo(output.Slice(t * dim, dim));
        }
    }

    /// <summary><c>dTable[tokens[t]] += dOutput[t]</c>; rows of repeated tokens add up.</summary>
    public static void Backward(ReadOnlySpan<int> tokens, ReadOnlySpan<float> dOutput, Span<float> dTable, int dim)
    {
        int vocab = dTable.Length / dim;
        for (int t = 0; t < tokens.Length; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"token id {id} at position {t} is outside the vocabulary [0, {vocab})");
            var row = dTable.Slice(id * dim, dim);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dOutput.Slice(t * dim, dim), row);
        }
    }
}
