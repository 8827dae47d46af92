using Tokamak.Analysis.Evaluation;

namespace Tokamak.Training.Recipes;

/// <summary>One finished stage of a recipe run.</summary>
/// <param name="Name">Stage name (corpus, tokenizer, prepare, pretrain, sft, export, quantize, eval).</param>
/// <param name="Elapsed">Wall time of the stage in this run (zero when reused).</param>
/// <param name="Artifact">Path of the file or folder the stage produced.</param>
/// <param name="Reused">True when the artifact was already there from an earlier run (<c>--resume</c>).</param>
public sealed record RecipeStage(string Name, TimeSpan Elapsed, string Artifact, bool Reused);

/// <summary>The outcome of a recipe run.</summary>
/// <param name="Stages">Stages in order.</param>
/// <param name="GgufPath">The quantized model.</param>
/// <param name="Eval">Its held-out evaluation.</param>
public sealed record RecipeResult(IReadOnlyList<RecipeStage> Stages, string GgufPath, EvalResult Eval);
