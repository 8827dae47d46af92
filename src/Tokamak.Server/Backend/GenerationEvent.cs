using Tokamak.Engine.Sampling;

namespace Tokamak.Server.Backend;

/// <summary>Something that happened to a running request.</summary>
public abstract record GenerationEvent;

/// <summary>
/// Choice <paramref name="Choice"/> produced a token (<paramref name="TokenId"/> -1 for a text-only flush at the end)
/// whose text completes <paramref name="Text"/> (may be empty mid-character).
/// </summary>
public sealed record TokenEvent(int Choice, int TokenId, string Text, TokenLogprobs? Logprobs) : GenerationEvent;

/// <summary>Choice <paramref name="Choice"/> ended: "stop" (EOS, stop token or string) or "length".</summary>
public sealed record FinishEvent(int Choice, string FinishReason) : GenerationEvent;

/// <summary>The request is done; always the last event.</summary>
public sealed record UsageEvent(int PromptTokens, int CompletionTokens, int CachedTokens) : GenerationEvent;
