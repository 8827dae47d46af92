using System.Globalization;
using System.Text.RegularExpressions;
using Tokamak.Data.Synthetic;

namespace Tokamak.Tests.Data.Synthetic;

/// <summary>Every generated answer is checked against an answer worked out independently from the question text.</summary>
public class QuestionAnswerTests
{
    private static IEnumerable<QaPair> Draw(string task, int n, ulong seed = 7)
    {
        var rng = new SyntheticRandom(seed);
        var t = QaTasks.Get(task);
        for (int i = 0; i < n; i++) yield return t.Draw(rng);
    }

    private static int[] Numbers(string s) => Regex.Matches(s, @"\d+").Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();

    [Theory]
    [InlineData("add_1digit", 0, 9)]
    [InlineData("add_2digit", 10, 99)]
    public void Addition_AnswerIsTheSumOfTheTwoNumbersInRange(string task, int min, int max)
    {
        foreach (var qa in Draw(task, 300))
        {
            var n = Numbers(qa.Question);
            Assert.Equal(2, n.Length);
            Assert.All(n, x => Assert.InRange(x, min, max));
            Assert.Equal((n[0] + n[1]).ToString(CultureInfo.InvariantCulture), qa.Answer);
        }
    }

    [Theory]
    [InlineData("sub_1digit")]
    [InlineData("sub_2digit")]
    public void Subtraction_AnswerIsTheNonNegativeDifference(string task)
    {
        foreach (var qa in Draw(task, 300))
        {
            var n = Numbers(qa.Question);
            // "Subtract b from a" names the subtrahend first.
            int a = qa.Question.StartsWith("Subtract", StringComparison.Ordinal) ? n[1] : n[0];
            int b = qa.Question.StartsWith("Subtract", StringComparison.Ordinal) ? n[0] : n[1];
            Assert.True(a >= b, qa.Question);
            Assert.Equal((a - b).ToString(CultureInfo.InvariantCulture), qa.Answer);
        }
    }

    [Fact]
    public void Compare_AnswerFollowsTheQuestionWording()
    {
        foreach (var qa in Draw("compare", 300))
        {
            var n = Numbers(qa.Question);
            Assert.NotEqual(n[0], n[1]);
            string q = qa.Question;
            string expected = q.StartsWith("Is ", StringComparison.Ordinal)
                ? (q.Contains("less", StringComparison.Ordinal) ? n[0] < n[1] : n[0] > n[1]) ? "yes" : "no"
                : (q.Contains("smaller", StringComparison.Ordinal) || q.Contains("less", StringComparison.Ordinal) ? Math.Min(n[0], n[1]) : Math.Max(n[0], n[1])).ToString(CultureInfo.InvariantCulture);
            Assert.Equal(expected, qa.Answer);
        }
    }

    [Fact]
    public void Calendar_AnswersMatchDotNetsOwnDayAndMonthTables()
    {
        // .NET's DayOfWeek starts on Sunday; the order is what matters.
        var days = Enum.GetNames<DayOfWeek>();
        var months = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12];
        foreach (var (task, table, step) in new[] { ("next_day", days, 1), ("prev_day", days, -1), ("next_month", months, 1), ("prev_month", months, -1) })
        {
            foreach (var qa in Draw(task, 200))
            {
                string named = table.Single(d => Regex.IsMatch(qa.Question, $@"\b{d}\b"));
                int i = Array.IndexOf(table, named);
                // "If yesterday was X" / "If last month was X" ask for the next one; "If tomorrow is X" / "If next month is X" for the previous.
                Assert.Equal(table[(i + step + table.Length) % table.Length], qa.Answer);
            }
        }
    }

    // The asked-about word: the one word of the list left after removing the frame's own "letter" phrases.
    private static string TargetWord(string question)
    {
        string q = Regex.Replace(question, @"letter by letter|the letter \w|letter \w", "");
        return Assert.Single(WordQuestions.Words, w => Regex.IsMatch(q, $@"\b{w}\b"));
    }

    [Fact]
    public void Words_SpellingLengthAndCountsAreRight()
    {
        foreach (var qa in Draw("spell", 100))
        {
            string word = TargetWord(qa.Question);
            Assert.Equal(string.Join("-", word.Select(c => c.ToString())), qa.Answer);
        }
        foreach (var qa in Draw("word_length", 100))
            Assert.Equal(TargetWord(qa.Question).Length.ToString(CultureInfo.InvariantCulture), qa.Answer);
        foreach (var qa in Draw("count_letter", 100))
        {
            char letter = Regex.Match(qa.Question, @"letter (\w)|many (\w)'s").Groups.Values.Skip(1).First(g => g.Success).Value[0];
            string word = TargetWord(Regex.Replace(qa.Question, @"many \w's", ""));
            Assert.Equal(word.Count(c => c == letter).ToString(CultureInfo.InvariantCulture), qa.Answer);
        }
    }

    [Fact]
    public void Units_ConversionUsesTheRightFactor()
    {
        // Small units per big unit, written out here independently of the generator's table.
        var factors = new Dictionary<(string, string), int>
        {
            [("hour", "minute")] = 60, [("minute", "second")] = 60, [("day", "hour")] = 24, [("week", "day")] = 7, [("year", "month")] = 12,
            [("meter", "centimeter")] = 100, [("kilometer", "meter")] = 1000, [("kilogram", "gram")] = 1000, [("liter", "milliliter")] = 1000,
        };
        var unitNames = factors.Keys.SelectMany(k => new[] { k.Item1, k.Item2 }).Distinct().ToArray();
        foreach (var qa in Draw("convert_units", 300))
        {
            // The amount is followed by the unit converted from; the other unit named is the one converted to.
            var m = Regex.Match(qa.Question, @"(\d+) (\w+?)s?\b");
            int amount = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            string from = m.Groups[2].Value;
            string rest = qa.Question.Remove(m.Index, m.Length);
            string to = Assert.Single(unitNames, u => Regex.IsMatch(rest, $@"\b{u}s?\b"));
            int answer = int.Parse(qa.Answer, CultureInfo.InvariantCulture);
            if (factors.TryGetValue((from, to), out int down)) Assert.Equal(amount * down, answer);
            else Assert.Equal(amount, answer * factors[(to, from)]);
        }
    }

    [Fact]
    public void UnknownTask_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => QaTasks.Get("multiply"));
        Assert.Contains("unknown task 'multiply'", e.Message);
    }
}
