namespace Tokamak.Data.Synthetic;

/// <summary>The next and previous day of the week and month of the year, each asked in several phrasings.</summary>
public static class CalendarQuestions
{
    /// <summary>Days of the week, Monday first.</summary>
    public static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    /// <summary>Months of the year, January first.</summary>
    public static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private static readonly string[] NextDayForms =
    [
        "What day comes after {0}?", "What is the day after {0}?", "Which day follows {0}?", "If today is {0}, what day is tomorrow?",
        "What day is after {0}?", "Name the day after {0}.", "Today is {0}. What day will it be tomorrow?", "What comes after {0} in the week?",
        "Tell me the day after {0}.", "After {0} comes which day?", "Which day is right after {0}?", "What is the next day after {0}?",
        "If yesterday was {0}, what day is today?", "What day follows {0}?", "The day after {0} is what day?", "Which day comes next after {0}?",
    ];

    private static readonly string[] PrevDayForms =
    [
        "What day comes before {0}?", "What is the day before {0}?", "Which day comes just before {0}?", "If today is {0}, what day was yesterday?",
        "What day is before {0}?", "Name the day before {0}.", "Today is {0}. What day was it yesterday?", "What comes before {0} in the week?",
        "Tell me the day before {0}.", "Before {0} comes which day?", "Which day is right before {0}?", "What is the day just before {0}?",
        "If tomorrow is {0}, what day is today?", "What day precedes {0}?", "The day before {0} is what day?", "Which day was just before {0}?",
    ];

    private static readonly string[] NextMonthForms =
    [
        "What month comes after {0}?", "What is the month after {0}?", "Which month follows {0}?", "If this month is {0}, what is next month?",
        "What month is after {0}?", "Name the month after {0}.", "What comes after {0} in the year?", "Which month comes next after {0}?",
        "Tell me the month after {0}.", "After {0} comes which month?", "Which month is right after {0}?", "What is the next month after {0}?",
        "If last month was {0}, what month is it now?", "What month follows {0}?", "The month after {0} is what month?", "Name the month that follows {0}.",
    ];

    private static readonly string[] PrevMonthForms =
    [
        "What month comes before {0}?", "What is the month before {0}?", "Which month comes just before {0}?", "If this month is {0}, what was last month?",
        "What month is before {0}?", "Name the month before {0}.", "What comes before {0} in the year?", "Which month was just before {0}?",
        "Tell me the month before {0}.", "Before {0} comes which month?", "Which month is right before {0}?", "What is the month just before {0}?",
        "If next month is {0}, what month is it now?", "What month precedes {0}?", "The month before {0} is what month?", "Name the month that comes before {0}.",
    ];

    /// <summary>The day after a day (Sunday → Monday).</summary>
    public static QaPair NextDay(SyntheticRandom r) => Step(r, "next_day", Days, NextDayForms, +1);

    /// <summary>The day before a day (Monday → Sunday).</summary>
    public static QaPair PreviousDay(SyntheticRandom r) => Step(r, "prev_day", Days, PrevDayForms, -1);

    /// <summary>The month after a month (December → January).</summary>
    public static QaPair NextMonth(SyntheticRandom r) => Step(r, "next_month", Months, NextMonthForms, +1);

    /// <summary>The month before a month (January → December).</summary>
    public static QaPair PreviousMonth(SyntheticRandom r) => Step(r, "prev_month", Months, PrevMonthForms, -1);

    private static QaPair Step(SyntheticRandom r, string task, string[] cycle, string[] forms, int step)
    {
        int i = r.Next(cycle.Length);
        return new QaPair(task, string.Format(r.Pick(forms), cycle[i]), cycle[(i + step + cycle.Length) % cycle.Length]);
    }
}
