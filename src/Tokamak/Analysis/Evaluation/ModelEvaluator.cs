using System.Text.Json.Nodes;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;

namespace Tokamak.Analysis.Evaluation;

/// <summary>Settings of a model evaluation.</summary>
public sealed record EvalOptions
{
    /// <summary>Most tokens generated per answer.</summary>
    public int MaxTokens { get; init; } = 32;

    /// <summary>Window size for story perplexity (capped at the model's context length).</summary>
    public int PerplexityContext { get; init; } = 256;

    /// <summary>Whether to measure perplexity on the held-out stories.</summary>
    public bool Perplexity { get; init; } = true;
}

/// <summary>The outcome of <see cref="ModelEvaluator.Run"/>.</summary>
/// <param name="ExactMatch">Per-task accuracy.</param>
/// <param name="Outcomes">Every question with the model's answer.</param>
/// <param name="StoryPerplexity">Perplexity on the held-out stories (null when skipped or there are none).</param>
/// <param name="UsedChatTemplate">True when questions went through the model's chat template, false for the plain fallback prompt.</param>
public sealed record EvalResult(ExactMatchReport ExactMatch, IReadOnlyList<EvalOutcome> Outcomes, PerplexityResult? StoryPerplexity, bool UsedChatTemplate);

/// <summary>
/// Scores a model on held-out data: each question is rendered as one user message through the model's chat template
/// (with the generation prompt) and answered greedily; the answer is compared with <see cref="AnswerNormalizer"/>.
/// A model without a chat template gets the plain prompt <c>Question: …\nAnswer:</c>. Stories are scored by
/// <see cref="Analysis.Perplexity"/>, joined by the tokenizer's <c>&lt;|endoftext|&gt;</c> when it has one.
/// </summary>
public static class ModelEvaluator
{
    /// <summary>Runs the evaluation; <paramref name="onOutcome"/> sees each answer as it is scored.</summary>
    public static EvalResult Run(LoadedModel model, HeldOutData data, EvalOptions? options = null, Action<EvalOutcome>? onOutcome = null,
        CancellationToken ct = default)
    {
        options ??= new EvalOptions();
        if (options.MaxTokens < 1) throw new ArgumentException($"max tokens must be at least 1, got {options.MaxTokens}");
        var generator = new Generator(model.Model, model.Tokenizer);
        // Answers are one line: a newline ends them even if the model never emits its end-of-turn token.
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = options.MaxTokens, Stop = ["\n"] };
        var outcomes = new List<EvalOutcome>(data.Questions.Count);
        foreach (var item in data.Questions)
        {
            ct.ThrowIfCancellationRequested();
            var ids = model.Tokenizer.Encode(Prompt(model, item.Question), addSpecialTokens: model.ChatTemplate is null);
            string answer = generator.Generate(ids, sampling, ct: ct).Text;
            var outcome = new EvalOutcome(item, answer, AnswerNormalizer.Matches(answer, item.Answer));
            outcomes.Add(outcome);
            onOutcome?.Invoke(outcome);
        }
        PerplexityResult? ppl = options.Perplexity ? StoryPerplexity(model, data.Stories, options.PerplexityContext) : null;
        return new EvalResult(ExactMatchReport.From(outcomes), outcomes, ppl, model.ChatTemplate is not null);
    }

    /// <summary>The prompt text for <paramref name="question"/>: chat template with generation prompt, or the plain fallback.</summary>
    public static string Prompt(LoadedModel model, string question)
    {
        if (model.ChatTemplate is { } t)
            return t.Render(new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }), addGenerationPrompt: true);
        return $"Question: {question}\nAnswer:";
    }

    /// <summary>Perplexity of <paramref name="stories"/> with windows of up to <paramref name="ctx"/> tokens; null when too short to score.</summary>
    public static PerplexityResult? StoryPerplexity(LoadedModel model, IReadOnlyList<string> stories, int ctx)
    {
        if (stories.Count == 0) return null;
        string separator = model.Tokenizer.PieceToId("<|endoftext|>") is not null ? "<|endoftext|>" : "\n\n";
        var tokens = model.Tokenizer.Encode(string.Join(separator, stories), addSpecialTokens: true);
        ctx = Math.Min(Math.Min(ctx, model.Config.MaxPositions), tokens.Length);
        if (ctx < 4) return null;
        int? bos = model.Tokenizer.BosId ?? model.Config.BosTokenId;
        return Analysis.Perplexity.Compute(model.Model, tokens, ctx, bos);
    }
}
