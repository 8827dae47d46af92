namespace Tokamak.Analysis.Roofline;

/// <summary>
/// One forward step: <paramref name="Sequences"/> sequences each append <paramref name="TokensPerSequence"/> tokens
/// after <paramref name="Context"/> cached ones. <paramref name="AllLogits"/>: logits for every new token (as a
/// batched decode step produces), otherwise only for each sequence's last token.
/// </summary>
public sealed record Workload(string Name, int Sequences, int TokensPerSequence, int Context, bool AllLogits)
{
    /// <summary>New tokens in the step.</summary>
    public int Tokens => Sequences * TokensPerSequence;

    /// <summary>Rows the final norm and the vocabulary projection process.</summary>
    public int LogitRows => AllLogits ? Tokens : Sequences;

    /// <summary>Prefill of <paramref name="batch"/> prompts of <paramref name="seq"/> tokens.</summary>
    public static Workload Prefill(int batch, int seq) => new($"prefill {batch}x{seq}", batch, seq, 0, false);

    /// <summary>
    /// Decode at batch <paramref name="batch"/> with <paramref name="context"/> cached tokens. Batch 1 is a real
    /// single-token step; batch &gt; 1 is modelled (and measured) as one sequence appending a chunk of
    /// <paramref name="batch"/> tokens with logits for all of them: the same weight traffic and FLOPs as batched
    /// decode, with the attention of a growing chunk instead of <paramref name="batch"/> separate caches.
    /// </summary>
    public static Workload Decode(int batch, int context) =>
        new($"decode b{batch}", 1, batch, context, batch > 1);
}
