using Tokamak.Training.Layers;

namespace Tokamak.Training.Objectives;

/// <summary>A prompt with a preferred and a dispreferred response (token ids; the response excludes the prompt).</summary>
public sealed record PreferencePair(int[] Prompt, int[] Chosen, int[] Rejected);

/// <summary>
/// Packs preference pairs into one <see cref="TrainBatch"/> as sequences <c>[chosen₀, rejected₀, chosen₁, …]</c>, each
/// <c>prompt + response</c>. Sequence 2i is pair i's chosen side, 2i + 1 its rejected side.
/// </summary>
public static class PreferenceBatch
{
    /// <summary>
    /// For DPO: next-token targets on the response tokens only (the prompt is masked), so a sequence's summed
    /// token log-probabilities are <c>log π(response | prompt)</c>.
    /// </summary>
    public static TrainBatch ForLogProbs(IReadOnlyList<PreferencePair> pairs)
    {
        Check(pairs);
        var seqs = new List<int[]>();
        var prompts = new List<int>();
        foreach (var p in pairs)
        {
            seqs.Add([.. p.Prompt, .. p.Chosen]); prompts.Add(p.Prompt.Length);
            seqs.Add([.. p.Prompt, .. p.Rejected]); prompts.Add(p.Prompt.Length);
        }
        return TrainBatch.Pack(seqs, prompts);
    }

    /// <summary>For reward modelling: every token is input (no targets); the reward is read at each sequence's last token.</summary>
    public static TrainBatch ForRewards(IReadOnlyList<PreferencePair> pairs)
    {
        Check(pairs);
        var tokens = new List<int>();
        var cu = new List<int> { 0 };
        foreach (var p in pairs)
        {
            tokens.AddRange(p.Prompt); tokens.AddRange(p.Chosen); cu.Add(tokens.Count);
            tokens.AddRange(p.Prompt); tokens.AddRange(p.Rejected); cu.Add(tokens.Count);
        }
        var targets = new int[tokens.Count];
        Array.Fill(targets, CrossEntropy.IgnoreIndex);
        return new TrainBatch(tokens.ToArray(), targets, PackedSequences.FromCuSeqlens(cu));
    }

    private static void Check(IReadOnlyList<PreferencePair> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("a preference batch needs at least one pair");
        for (int i = 0; i < pairs.Count; i++)
            if (pairs[i].Chosen.Length == 0 || pairs[i].Rejected.Length == 0 || pairs[i].Prompt.Length == 0)
                throw new ArgumentException($"preference pair {i} has an empty prompt, chosen or rejected response");
    }

    /// <summary>Checks that a batch holds an even number of sequences (chosen/rejected alternating).</summary>
    internal static int Pairs(TrainBatch batch) =>
        batch.Sequences.Count % 2 == 0 ? batch.Sequences.Count / 2 : throw new ArgumentException($"a preference batch needs chosen/rejected sequence pairs, got {batch.Sequences.Count} sequences");
}
