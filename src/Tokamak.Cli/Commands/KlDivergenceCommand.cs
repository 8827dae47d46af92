using System.Text.Json;
using Tokamak.Analysis;
using Tokamak.Models;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak perplexity --kl-divergence-base FILE [--kl-divergence]</c>, as llama-perplexity: without
/// <c>--kl-divergence</c> the model's log-probabilities are saved to FILE; with it, the model is compared with the saved
/// base on the base's own tokens (mean KL, top-1 agreement, PPL of both).
/// </summary>
internal static class KlDivergenceCommand
{
    public static int Run(LoadedModel m, string basePath, bool compare, string textPath, int ctx, string format)
    {
        if (!compare)
        {
            var tokens = m.Tokenizer.Encode(File.ReadAllText(textPath), addSpecialTokens: true);
            var b = KlDivergence.ComputeBase(m.Model, tokens, ctx, m.Tokenizer.BosId ?? m.Config.BosTokenId);
            b.Save(basePath);
            Console.Error.WriteLine($"tokamak: saved {b.Positions} scored positions × {b.Vocab} log-probs to {basePath}");
            return 0;
        }
        var kb = KlBase.Load(basePath);
        var r = KlDivergence.Compare(m.Model, kb);
        if (format == "json")
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                mean_kl = r.MeanKl, kl_stderr = r.KlStdErr, median_kl = r.MedianKl, max_kl = r.MaxKl,
                top1_agreement = r.Top1Agreement, base_perplexity = r.BasePerplexity, perplexity = r.Perplexity, positions = r.Positions,
            }));
        else
        {
            Console.WriteLine($"positions      {r.Positions} (ctx {kb.Ctx})");
            Console.WriteLine($"mean KL        {r.MeanKl:F6} ± {r.KlStdErr:F6} nats (median {r.MedianKl:F6}, max {r.MaxKl:F6})");
            Console.WriteLine($"top-1 agree    {r.Top1Agreement:P2}");
            Console.WriteLine($"PPL base       {r.BasePerplexity:F4}");
            Console.WriteLine($"PPL model      {r.Perplexity:F4} ({(r.Perplexity / r.BasePerplexity - 1):+0.00%;-0.00%})");
        }
        return 0;
    }
}
