using Tokamak.Analysis;
using Tokamak.Analysis.Evaluation;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;

namespace Tokamak.Tests.Analysis.Evaluation;

/// <summary>Runs the evaluation on a tiny real model (a TinyStories base model: it scores about zero, which is fine).</summary>
public class ModelEvaluatorTests
{
    [Fact]
    public void TinyModel_EveryQuestionIsAnswered_AndScoredByExactMatch()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        var data = new HeldOutData(
            [new("add_1digit", "What is 2 + 3?", "5"), new("next_day", "What day comes after Monday?", "Tuesday"), new("add_1digit", "What is 1 + 1?", "2")],
            ["Once upon a time, there was a little girl named Lily. She loved to play in the park with her red ball.",
             "Tom was a happy dog. One day, Tom went to the lake. He saw a big fish and felt glad."]);
        var result = ModelEvaluator.Run(m, data, new EvalOptions { MaxTokens = 8, PerplexityContext = 16 });

        Assert.False(result.UsedChatTemplate);
        Assert.Equal(3, result.Outcomes.Count);
        Assert.Equal(["add_1digit", "next_day"], result.ExactMatch.Tasks.Select(t => t.Task));
        Assert.Equal([2, 1], result.ExactMatch.Tasks.Select(t => t.Total));
        foreach (var o in result.Outcomes) Assert.Equal(AnswerNormalizer.Matches(o.Prediction, o.Item.Answer), o.Correct);
        Assert.Equal(result.Outcomes.Count(o => o.Correct), result.ExactMatch.Correct);

        // The answer is the greedy continuation of the plain prompt, cut at the first newline.
        var gen = new Generator(m.Model, m.Tokenizer);
        var direct = gen.Generate(m.Tokenizer.Encode("Question: What is 2 + 3?\nAnswer:", addSpecialTokens: true),
            new SamplingParams { Temperature = 0, MaxTokens = 8 }).Text;
        Assert.Equal(direct.Split('\n')[0], result.Outcomes[0].Prediction);

        var ppl = Assert.IsType<PerplexityResult>(result.StoryPerplexity);
        Assert.True(double.IsFinite(ppl.Perplexity) && ppl.Perplexity > 1, $"perplexity {ppl.Perplexity}");
        Assert.True(ppl.Chunks >= 1 && 16 * ppl.Chunks <= ppl.Tokens);
    }

    [Fact]
    public void NoStories_NoPerplexity()
    {
        using var m = ModelLoader.Load(TestPaths.Model("tinystories-656k"));
        var result = ModelEvaluator.Run(m, new HeldOutData([new("t", "Hi?", "x")], []), new EvalOptions { MaxTokens = 2 });
        Assert.Null(result.StoryPerplexity);
        Assert.Equal(1, result.ExactMatch.Total);
    }
}
