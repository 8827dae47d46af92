namespace Tokamak.Engine.Sampling;

/// <summary>Log-probability of a chosen token and of the most likely alternatives, from the model's raw distribution.</summary>
public sealed record TokenLogprobs(int Token, float Logprob, IReadOnlyList<(int Token, float Logprob)> Top);
