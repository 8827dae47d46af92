namespace Tokamak.Training;

/// <summary>
/// Boundaries of several sequences packed back to back into one token row. Tokens attend only within their own
/// sequence and positions restart at 0 at each sequence start.
/// </summary>
public sealed class PackedSequences
{
    private PackedSequences(int[] cuSeqlens)
    {
        CuSeqlens = cuSeqlens;
        int n = cuSeqlens[^1];
        Starts = new int[n];
        Positions = new int[n];
        for (int s = 0; s + 1 < cuSeqlens.Length; s++)
            for (int t = cuSeqlens[s]; t < cuSeqlens[s + 1]; t++)
            {
                Starts[t] = cuSeqlens[s];
                Positions[t] = t - cuSeqlens[s];
            }
    }

    /// <summary>Cumulative sequence lengths <c>[sequences + 1]</c>: sequence s covers tokens [cu[s], cu[s+1]).</summary>
    public int[] CuSeqlens { get; }

    /// <summary>Per token: index of the first token of its sequence <c>[tokens]</c>.</summary>
    public int[] Starts { get; }

    /// <summary>Per token: position within its sequence <c>[tokens]</c>.</summary>
    public int[] Positions { get; }

    /// <summary>Total tokens.</summary>
    public int Tokens => CuSeqlens[^1];

    /// <summary>Number of sequences.</summary>
    public int Count => CuSeqlens.Length - 1;

    /// <summary>One sequence covering all <paramref name="tokens"/>.</summary>
    public static PackedSequences Single(int tokens) => FromCuSeqlens([0, tokens]);

    /// <summary>From cumulative lengths (must start at 0 and strictly increase).</summary>
    public static PackedSequences FromCuSeqlens(IReadOnlyList<int> cuSeqlens)
    {
        if (cuSeqlens.Count < 2 || cuSeqlens[0] != 0) throw new ArgumentException("cu_seqlens must start with 0 and hold at least one sequence");
        for (int i = 1; i < cuSeqlens.Count; i++)
            if (cuSeqlens[i] <= cuSeqlens[i - 1]) throw new ArgumentException($"cu_seqlens must strictly increase (entry {i}: {cuSeqlens[i - 1]} → {cuSeqlens[i]})");
        return new PackedSequences(cuSeqlens.ToArray());
    }

    /// <summary>From a per-token sequence id; each id's tokens must be contiguous.</summary>
    public static PackedSequences FromSequenceIds(ReadOnlySpan<int> seqIds)
    {
        if (seqIds.IsEmpty) throw new ArgumentException("sequence ids are empty");
        var cu = new List<int> { 0 };
        var seen = new HashSet<int> { seqIds[0] };
        for (int t = 1; t < seqIds.Length; t++)
            if (seqIds[t] != seqIds[t - 1])
            {
                if (!seen.Add(seqIds[t])) throw new ArgumentException($"sequence id {seqIds[t]} reappears at token {t}; packed sequences must be contiguous");
                cu.Add(t);
            }
        cu.Add(seqIds.Length);
        return new PackedSequences(cu.ToArray());
    }
}
