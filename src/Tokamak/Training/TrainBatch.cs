using Tokamak.Training.Layers;

namespace Tokamak.Training;

/// <summary>
/// One micro-batch: input tokens, next-token targets (<see cref="CrossEntropy.IgnoreIndex"/> to mask), and the
/// packing of several sequences into the single token row.
/// </summary>
public sealed class TrainBatch
{
    /// <summary>Creates a batch; the three must agree on the token count.</summary>
    public TrainBatch(int[] tokens, int[] targets, PackedSequences sequences)
    {
        if (tokens.Length == 0) throw new ArgumentException("a training batch needs at least one token");
        if (targets.Length != tokens.Length) throw new ArgumentException($"targets ({targets.Length}) and tokens ({tokens.Length}) differ in length");
        if (sequences.Tokens != tokens.Length) throw new ArgumentException($"packing covers {sequences.Tokens} tokens but the batch has {tokens.Length}");
        Tokens = tokens;
        Targets = targets;
        Sequences = sequences;
    }

    /// <summary>Input token ids <c>[T]</c>.</summary>
    public int[] Tokens { get; }

    /// <summary>Target ids <c>[T]</c>; <see cref="CrossEntropy.IgnoreIndex"/> excludes a token from the loss.</summary>
    public int[] Targets { get; }

    /// <summary>Sequence boundaries.</summary>
    public PackedSequences Sequences { get; }

    /// <summary>Number of targets that count towards the loss.</summary>
    public int CountedTokens => Targets.Count(t => t != CrossEntropy.IgnoreIndex);

    /// <summary>
    /// Language-modelling batch from one token sequence: inputs <c>s[0..n-1)</c>, targets <c>s[1..n)</c>; the first
    /// <paramref name="promptLength"/> targets (predictions of prompt tokens) are masked.
    /// </summary>
    public static TrainBatch FromSequence(ReadOnlySpan<int> sequence, int promptLength = 0) => Pack([sequence.ToArray()], [promptLength]);

    /// <summary>Packs several sequences (each shifted into input/target pairs) into one batch.</summary>
    public static TrainBatch Pack(IReadOnlyList<int[]> sequences, IReadOnlyList<int>? promptLengths = null)
    {
        var tokens = new List<int>();
        var targets = new List<int>();
        var cu = new List<int> { 0 };
        for (int s = 0; s < sequences.Count; s++)
        {
            var seq = sequences[s];
            if (seq.Length < 2) throw new ArgumentException($"sequence {s} has {seq.Length} tokens; at least 2 are needed for one prediction");
            int prompt = promptLengths?[s] ?? 0;
            for (int i = 0; i + 1 < seq.Length; i++)
            {
                tokens.Add(seq[i]);
                // Target i predicts seq[i+1]; it is a prompt token when i + 1 < prompt.
                targets.Add(i + 1 < prompt ? CrossEntropy.IgnoreIndex : seq[i + 1]);
            }
            cu.Add(tokens.Count);
        }
        return new TrainBatch(tokens.ToArray(), targets.ToArray(), PackedSequences.FromCuSeqlens(cu));
    }

    /// <summary>
    /// Packs sequences with a per-token loss mask: target i predicts <c>ids[i+1]</c> and counts only when
    /// <c>mask[i+1]</c> is set.
    /// </summary>
    public static TrainBatch PackMasked(IReadOnlyList<(int[] Ids, bool[] Mask)> sequences)
    {
        var tokens = new List<int>();
        var targets = new List<int>();
        var cu = new List<int> { 0 };
        for (int s = 0; s < sequences.Count; s++)
        {
            var (ids, mask) = sequences[s];
            if (ids.Length < 2) throw new ArgumentException($"sequence {s} has {ids.Length} tokens; at least 2 are needed for one prediction");
            if (mask.Length != ids.Length) throw new ArgumentException($"sequence {s}: mask has {mask.Length} entries for {ids.Length} tokens");
            for (int i = 0; i + 1 < ids.Length; i++)
            {
                tokens.Add(ids[i]);
                targets.Add(mask[i + 1] ? ids[i + 1] : CrossEntropy.IgnoreIndex);
            }
            cu.Add(tokens.Count);
        }
        return new TrainBatch(tokens.ToArray(), targets.ToArray(), PackedSequences.FromCuSeqlens(cu));
    }
}
