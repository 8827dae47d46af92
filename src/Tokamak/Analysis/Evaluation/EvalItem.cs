namespace Tokamak.Analysis.Evaluation;

/// <summary>One held-out question with its reference answer, tagged with its task.</summary>
public sealed record EvalItem(string Task, string Question, string Answer);

/// <summary>A model's answer to an <see cref="EvalItem"/>.</summary>
/// <param name="Item">The question.</param>
/// <param name="Prediction">The model's raw answer text.</param>
/// <param name="Correct">Whether it matches the reference after <see cref="AnswerNormalizer.Normalize"/>.</param>
public sealed record EvalOutcome(EvalItem Item, string Prediction, bool Correct);
