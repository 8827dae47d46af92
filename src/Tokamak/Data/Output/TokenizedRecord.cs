namespace Tokamak.Data.Output;

/// <summary>
/// One record of a tokenized shard: a training sequence with its loss mask (pt/sft), or a preference triple
/// (rm/dpo) whose <see cref="Ids"/> is the prompt.
/// </summary>
/// <param name="Ids">Token ids <c>[n]</c> (the prompt for preference records).</param>
/// <param name="LossMask">Per token, whether it is a target <c>[n]</c>; null for preference records.</param>
/// <param name="Chosen">Preferred response ids, or null.</param>
/// <param name="Rejected">Dispreferred response ids, or null.</param>
public sealed record TokenizedRecord(int[] Ids, bool[]? LossMask, int[]? Chosen = null, int[]? Rejected = null)
{
    /// <summary>True for a (prompt, chosen, rejected) record.</summary>
    public bool IsPreference => Chosen != null;
}
