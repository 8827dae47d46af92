namespace Tokamak.Data.Synthetic;

/// <summary>Conversions between a bigger and a smaller unit by a whole factor (hours ↔ minutes, m ↔ cm, …), small integers only.</summary>
public static class UnitQuestions
{
    /// <summary>(big unit plural, small unit plural, small units per big unit).</summary>
    public static readonly (string Big, string Small, int Factor)[] Units =
    [
        ("hours", "minutes", 60), ("minutes", "seconds", 60), ("days", "hours", 24), ("weeks", "days", 7), ("years", "months", 12),
        ("meters", "centimeters", 100), ("kilometers", "meters", 1000), ("kilograms", "grams", 1000), ("liters", "milliliters", 1000),
    ];

    private static readonly string[] DownForms = ["How many {2} are in {0} {1}?", "Convert {0} {1} to {2}.", "{0} {1} is how many {2}?", "How many {2} is {0} {1}?"];
    private static readonly string[] UpForms = ["How many {2} are {0} {1}?", "Convert {0} {1} to {2}.", "{0} {1} is how many {2}?", "How many {2} is {0} {1}?"];

    /// <summary>n big units → small units, or k·factor small units → big units, with n, k in [1, 12].</summary>
    public static QaPair Convert(SyntheticRandom r)
    {
        var (big, small, factor) = r.Pick(Units);
        int n = r.Between(1, 12);
        if (r.Chance(0.5))
            return new QaPair("convert_units", string.Format(r.Pick(DownForms), n, Unit(big, n), small), ArithmeticQuestions.Num(n * factor));
        return new QaPair("convert_units", string.Format(r.Pick(UpForms), n * factor, small, big), ArithmeticQuestions.Num(n));
    }

    // "1 hours" reads wrong: singular for one.
    private static string Unit(string plural, int n) => n == 1 ? plural[..^1] : plural;
}
