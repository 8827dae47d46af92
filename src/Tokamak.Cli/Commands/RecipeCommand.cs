using System.CommandLine;
using Tokamak.Training.Recipes;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak recipe default-model --out DIR</c>: build Tokamak's default chat model end to end.</summary>
internal static class RecipeCommand
{
    /// <summary>The recipe folder shipped beside the executable (copied from recipes/default-model at build time).</summary>
    public static string DefaultRecipeFolder => Path.Combine(AppContext.BaseDirectory, "recipes", "default-model");

    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder (corpus, checkpoints, HF folder, GGUF, recipe.json)", Required = true };
        var config = new Option<string?>("--config", "-c") { Description = "Recipe file (default: recipes/default-model/recipe.yaml beside the executable)" };
        var smoke = new Option<bool>("--smoke") { Description = "CI-sized run: tiny corpus and model, a few dozen steps (smoke.yaml)" };
        var resume = new Option<bool>("--resume") { Description = "Reuse the artifacts of stages an earlier run into --out finished; continue stopped training" };
        var model = new Command("default-model", "Corpus → tokenizer → data pipeline → pretraining → SFT → HF folder → Q8_0 GGUF → evaluation")
        {
            output, config, smoke, resume,
        };
        model.SetAction((r, ct) =>
        {
            string? given = r.GetValue(config);
            if (given is not null && r.GetValue(smoke)) throw new CliException("give --config or --smoke, not both");
            string path = given ?? Path.Combine(DefaultRecipeFolder, r.GetValue(smoke) ? "smoke.yaml" : "recipe.yaml");
            var recipe = RecipeConfig.Load(path);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = new DefaultModelRecipe(recipe, r.GetValue(output)!, line => Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}"))
            {
                Resume = r.GetValue(resume),
            }.Run(ct);
            Console.WriteLine($"{"stage",-10} {"seconds",9}");
            foreach (var s in result.Stages) Console.WriteLine($"{s.Name,-10} {(s.Reused ? "reused" : s.Elapsed.TotalSeconds.ToString("F1")),9}");
            Console.WriteLine($"{"total",-10} {result.Stages.Sum(s => s.Elapsed.TotalSeconds),9:F1}");
            foreach (var t in result.Eval.ExactMatch.Tasks) Console.WriteLine($"{t.Task,-24} {t.Correct,4}/{t.Total,-4} {t.Accuracy * 100,6:F1}%");
            Console.WriteLine($"{"overall",-24} {result.Eval.ExactMatch.Correct,4}/{result.Eval.ExactMatch.Total,-4} {result.Eval.ExactMatch.MicroAccuracy * 100,6:F1}%");
            if (result.Eval.StoryPerplexity is { } p) Console.WriteLine($"story perplexity {p.Perplexity:F3} ± {p.StandardError:F3}");
            Console.WriteLine(result.GgufPath);
            return Task.FromResult(0);
        });
        return new Command("recipe", "Run a built-in end-to-end recipe") { model };
    }
}
