using System.Text;

namespace Tokamak.Data.Filters;

/// <summary>
/// Keeps an example when at least <see cref="MinRatio"/> of its letters belong to <see cref="Allowed"/> scripts.
/// Digits, punctuation and symbols are ignored; text without letters is kept.
/// </summary>
public sealed class ScriptRatioFilter(Script allowed = Script.Latin | Script.Cjk, double minRatio = 0.8) : IExampleFilter
{
    /// <summary>Allowed scripts.</summary>
    public Script Allowed { get; } = allowed;

    /// <summary>Minimum allowed-letter fraction.</summary>
    public double MinRatio { get; } = minRatio;

    /// <inheritdoc />
    public string Name => "script_ratio";

    /// <summary>Fraction of letters of <paramref name="text"/> in <paramref name="allowed"/> scripts (1 when there are no letters).</summary>
    public static double Ratio(string text, Script allowed)
    {
        long letters = 0, ok = 0;
        foreach (var r in text.EnumerateRunes())
        {
            if (!Rune.IsLetter(r)) continue;
            letters++;
            if ((Scripts.Of(r) & allowed) != 0) ok++;
        }
        return letters == 0 ? 1.0 : (double)ok / letters;
    }

    /// <inheritdoc />
    public string? Check(UnifiedExample example) =>
        Ratio(ExampleText.Flatten(example), Allowed) < MinRatio ? DropReasons.ScriptRatio : null;
}
