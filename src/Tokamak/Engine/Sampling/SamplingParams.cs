namespace Tokamak.Engine.Sampling;

/// <summary>
/// How to choose each next token and when to stop. Defaults follow OpenAI/vLLM: temperature 1, no top-k/top-p/min-p
/// truncation, no penalties. Temperature 0 means greedy.
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Softmax temperature; 0 picks the most likely token.</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Keep only the k most likely tokens (0 or -1: off).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose mass reaches p (1: off).</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less likely than min_p × the most likely one (0: off).</summary>
    public float MinP { get; init; }
    /// <summary>Divides positive (multiplies negative) logits of tokens already in prompt or output (1: off).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Subtracted from the logit of every token that already appeared in the output.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>Subtracted once per earlier occurrence in the output.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Random seed; the same seed gives the same output. Null: a fresh random seed.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;
    /// <summary>Fewest tokens to generate before EOS/stop tokens are allowed.</summary>
    public int MinTokens { get; init; }
    /// <summary>Stop when the text contains any of these (the stop string itself is not returned).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>Extra token ids that end generation (besides the model's EOS).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Keep generating past EOS.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Number of most likely alternatives whose log-probabilities are reported per token (0: none).</summary>
    public int TopLogprobs { get; init; }
    /// <summary>Report the chosen token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Whether sampling reduces to argmax.</summary>
    public bool IsGreedy => Temperature == 0f || TopK == 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range parameter.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Check(float.IsFinite(Temperature) && Temperature >= 0 && Temperature <= 100, $"temperature must be between 0 and 100, got {Temperature}");
        Check(TopK >= -1, $"top_k must be -1, 0 (off) or positive, got {TopK}");
        Check(float.IsFinite(TopP) && TopP > 0 && TopP <= 1, $"top_p must be in (0, 1], got {TopP}");
        Check(float.IsFinite(MinP) && MinP >= 0 && MinP <= 1, $"min_p must be in [0, 1], got {MinP}");
        Check(float.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0 && RepetitionPenalty <= 100, $"repetition_penalty must be in (0, 100], got {RepetitionPenalty}");
        Check(float.IsFinite(PresencePenalty) && PresencePenalty >= -2 && PresencePenalty <= 2, $"presence_penalty must be in [-2, 2], got {PresencePenalty}");
        Check(float.IsFinite(FrequencyPenalty) && FrequencyPenalty >= -2 && FrequencyPenalty <= 2, $"frequency_penalty must be in [-2, 2], got {FrequencyPenalty}");
        Check(MaxTokens >= 1, $"max_tokens must be at least 1, got {MaxTokens}");
        Check(MinTokens >= 0 && MinTokens <= MaxTokens, $"min_tokens must be between 0 and max_tokens ({MaxTokens}), got {MinTokens}");
        Check(TopLogprobs is >= 0 and <= 20, $"top_logprobs must be between 0 and 20, got {TopLogprobs}");
        Check(Stop.All(s => !string.IsNullOrEmpty(s)), "stop strings must not be empty");
    }
}
