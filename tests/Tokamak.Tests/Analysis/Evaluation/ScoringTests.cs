using Tokamak.Analysis.Evaluation;

namespace Tokamak.Tests.Analysis.Evaluation;

public class ScoringTests
{
    [Theory]
    [InlineData("  Tuesday \n", "tuesday")]
    [InlineData("Tuesday.", "tuesday")]
    [InlineData("c-a-t", "c-a-t")]
    [InlineData("  12   000 ", "12 000")]
    [InlineData("Yes", "yes")]
    [InlineData("5..", "5.")]
    [InlineData("", "")]
    public void Normalize_TrimsLowercasesAndDropsOneFullStop(string raw, string expected) => Assert.Equal(expected, AnswerNormalizer.Normalize(raw));

    [Theory]
    [InlineData("7", "7", true)]
    [InlineData(" 7.", "7", true)]
    [InlineData("seven", "7", false)]
    [InlineData("c a t", "c-a-t", false)]
    [InlineData("17", "7", false)]
    [InlineData("MONDAY", "Monday", true)]
    public void Matches_IsExactAfterNormalization(string prediction, string reference, bool expected) =>
        Assert.Equal(expected, AnswerNormalizer.Matches(prediction, reference));

    [Fact]
    public void Report_AggregatesPerTaskAndOverall()
    {
        EvalOutcome O(string task, bool ok) => new(new EvalItem(task, "q", "a"), ok ? "a" : "b", ok);
        var report = ExactMatchReport.From([O("add", true), O("day", false), O("add", true), O("add", false), O("day", true), O("spell", false)]);
        // By hand: add 2/3, day 1/2, spell 0/1 → micro 3/6 = 0.5, macro (2/3 + 1/2 + 0) / 3 = 7/18.
        Assert.Equal(["add", "day", "spell"], report.Tasks.Select(t => t.Task));
        Assert.Equal([(2, 3), (1, 2), (0, 1)], report.Tasks.Select(t => (t.Correct, t.Total)));
        Assert.Equal(2.0 / 3, report.Tasks[0].Accuracy, 12);
        Assert.Equal((3, 6), (report.Correct, report.Total));
        Assert.Equal(0.5, report.MicroAccuracy, 12);
        Assert.Equal(7.0 / 18, report.MacroAccuracy, 12);
    }

    [Fact]
    public void Report_OfNothing_IsZeroNotNaN()
    {
        var report = ExactMatchReport.From([]);
        Assert.Equal(0, report.MicroAccuracy);
        Assert.Equal(0, report.MacroAccuracy);
    }
}
