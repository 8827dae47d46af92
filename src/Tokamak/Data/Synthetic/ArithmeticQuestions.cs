using System.Globalization;

namespace Tokamak.Data.Synthetic;

/// <summary>Addition, subtraction and comparison of small whole numbers, each asked in several phrasings.</summary>
public static class ArithmeticQuestions
{
    private static readonly string[] AddForms =
    [
        "What is {0} + {1}?", "What is {0} plus {1}?", "Add {0} and {1}.", "What is the sum of {0} and {1}?",
        "Calculate {0} + {1}.", "{0} + {1} = ?", "How much is {0} plus {1}?",
        "If you have {0} apples and get {1} more, how many apples do you have?",
    ];

    private static readonly string[] SubForms =
    [
        "What is {0} - {1}?", "What is {0} minus {1}?", "Subtract {1} from {0}.", "What is the difference between {0} and {1}?",
        "Calculate {0} - {1}.", "{0} - {1} = ?", "How much is {0} minus {1}?",
        "If you have {0} apples and eat {1}, how many apples are left?",
    ];

    private static readonly string[] BiggerForms = ["Which is bigger, {0} or {1}?", "Which number is larger: {0} or {1}?", "Which is more, {0} or {1}?"];
    private static readonly string[] SmallerForms = ["Which is smaller, {0} or {1}?", "Which number is less: {0} or {1}?"];
    private static readonly string[] YesNoForms = ["Is {0} bigger than {1}?", "Is {0} greater than {1}?", "Is {0} less than {1}?"];

    /// <summary>a + b with a, b in [0, 9].</summary>
    public static QaPair AddOneDigit(SyntheticRandom r) => Add(r, "add_1digit", 0, 9);

    /// <summary>a + b with a, b in [10, 99].</summary>
    public static QaPair AddTwoDigit(SyntheticRandom r) => Add(r, "add_2digit", 10, 99);

    /// <summary>a − b with 0 ≤ b ≤ a ≤ 9.</summary>
    public static QaPair SubOneDigit(SyntheticRandom r) => Sub(r, "sub_1digit", 0, 9);

    /// <summary>a − b with 10 ≤ b ≤ a ≤ 99.</summary>
    public static QaPair SubTwoDigit(SyntheticRandom r) => Sub(r, "sub_2digit", 10, 99);

    /// <summary>Which of two different numbers in [0, 99] is bigger/smaller, or a yes/no comparison.</summary>
    public static QaPair Compare(SyntheticRandom r)
    {
        int a = r.Between(0, 99), b;
        do b = r.Between(0, 99); while (b == a);
        switch (r.Next(3))
        {
            case 0: return new QaPair("compare", Format(r.Pick(BiggerForms), a, b), Num(Math.Max(a, b)));
            case 1: return new QaPair("compare", Format(r.Pick(SmallerForms), a, b), Num(Math.Min(a, b)));
            default:
                string form = r.Pick(YesNoForms);
                bool yes = form.Contains("less", StringComparison.Ordinal) ? a < b : a > b;
                return new QaPair("compare", Format(form, a, b), yes ? "yes" : "no");
        }
    }

    private static QaPair Add(SyntheticRandom r, string task, int min, int max)
    {
        int a = r.Between(min, max), b = r.Between(min, max);
        return new QaPair(task, Format(r.Pick(AddForms), a, b), Num(a + b));
    }

    private static QaPair Sub(SyntheticRandom r, string task, int min, int max)
    {
        int a = r.Between(min, max), b = r.Between(min, a);
        return new QaPair(task, Format(r.Pick(SubForms), a, b), Num(a - b));
    }

    internal static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Format(string form, int a, int b) => string.Format(CultureInfo.InvariantCulture, form, a, b);
}
