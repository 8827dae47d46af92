using Tokamak.Engine.Sampling;
using Tokamak.Engine.Scheduling;

namespace Tokamak.Engine;

/// <summary>
/// One streamed event of a request: a token of choice <see cref="Choice"/> and the text it completes.
/// <para><see cref="TextDelta"/> is detokenized incrementally; text that may begin a stop string is held back and a
/// matched stop string is removed (with everything after it). EOS and stop-token ids produce no text. The last event
/// of each choice has <see cref="FinishReason"/> set; an abort produces a final event with <see cref="TokenId"/> −1.
/// The very last event of the request (all choices finished) also carries <see cref="Usage"/>.</para>
/// </summary>
/// <param name="Choice">Choice index, 0 .. N − 1.</param>
/// <param name="TokenId">The generated token id, or −1 for an event that carries no token (abort).</param>
/// <param name="TextDelta">Text to append to the choice's output (may be empty).</param>
/// <param name="Logprobs">Log-probabilities of the token and top alternatives when requested (sampling only).</param>
/// <param name="FinishReason">Set on the choice's last event: Stop (EOS, stop token or stop string), Length, Abort.</param>
/// <param name="Usage">Token counts, on the request's final event only.</param>
public sealed record EngineOutput(int Choice, int TokenId, string TextDelta, TokenLogprobs? Logprobs, FinishReason? FinishReason, EngineUsage? Usage = null);

/// <summary>Token accounting of a finished request.</summary>
/// <param name="PromptTokens">Prompt length.</param>
/// <param name="CompletionTokens">Tokens generated over all returned choices (EOS/stop tokens included).</param>
/// <param name="CachedPromptTokens">Prompt tokens served from the prefix cache when the request was admitted.</param>
public sealed record EngineUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens);
