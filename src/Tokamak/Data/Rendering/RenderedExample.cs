namespace Tokamak.Data.Rendering;

/// <summary>A tokenized training sequence and, per token, whether predicting it counts towards the loss.</summary>
/// <param name="Ids">Token ids <c>[n]</c>.</param>
/// <param name="LossMask">True where token i is a target (assistant tokens in SFT) <c>[n]</c>.</param>
public sealed record RenderedExample(int[] Ids, bool[] LossMask)
{
    /// <summary>Number of tokens that count.</summary>
    public int Trained => LossMask.Count(m => m);
}

/// <summary>How conversations become training tokens (LLaMA-Factory's option names).</summary>
/// <param name="CutoffLen">Maximum tokens per example; older turns are dropped first, then the tail is cut.</param>
/// <param name="TrainOnPrompt">Also train on system/user tokens.</param>
/// <param name="MaskHistory">Train only on the last assistant turn.</param>
public sealed record RenderOptions(int CutoffLen = 2048, bool TrainOnPrompt = false, bool MaskHistory = false);
