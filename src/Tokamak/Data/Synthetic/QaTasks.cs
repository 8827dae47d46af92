namespace Tokamak.Data.Synthetic;

/// <summary>Every question task the corpus and the evaluation know, by name.</summary>
public static class QaTasks
{
    /// <summary>All tasks, in report order.</summary>
    public static readonly IReadOnlyList<QaTask> All =
    [
        new("add_1digit", ArithmeticQuestions.AddOneDigit, Weight: 2),
        new("add_2digit", ArithmeticQuestions.AddTwoDigit, Weight: 4),
        new("sub_1digit", ArithmeticQuestions.SubOneDigit),
        new("sub_2digit", ArithmeticQuestions.SubTwoDigit, Weight: 2),
        new("compare", ArithmeticQuestions.Compare),
        new("next_day", CalendarQuestions.NextDay),
        new("prev_day", CalendarQuestions.PreviousDay),
        new("next_month", CalendarQuestions.NextMonth),
        new("prev_month", CalendarQuestions.PreviousMonth),
        new("spell", WordQuestions.Spell),
        new("word_length", WordQuestions.WordLength),
        new("count_letter", WordQuestions.CountLetter),
        new("convert_units", UnitQuestions.Convert),
    ];

    /// <summary>The task called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No task has that name.</exception>
    public static QaTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", All.Select(t => t.Name))})");
}
