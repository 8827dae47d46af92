namespace Tokamak.Data.Filters;

/// <summary>Drops examples whose flattened text is outside the character and word limits (null limits are off).</summary>
public sealed class LengthFilter : IExampleFilter
{
    /// <summary>Minimum characters (UTF-16 code units), or null.</summary>
    public int? MinChars { get; init; }
    /// <summary>Maximum characters, or null.</summary>
    public int? MaxChars { get; init; }
    /// <summary>Minimum words (see <see cref="Words"/>), or null.</summary>
    public int? MinWords { get; init; }
    /// <summary>Maximum words, or null.</summary>
    public int? MaxWords { get; init; }

    /// <inheritdoc />
    public string Name => "length";

    /// <inheritdoc />
    public string? Check(UnifiedExample example)
    {
        var text = ExampleText.Flatten(example);
        if (text.Length < MinChars) return DropReasons.TooFewChars;
        if (text.Length > MaxChars) return DropReasons.TooManyChars;
        if (MinWords == null && MaxWords == null) return null;
        int words = Words.Count(text);
        if (words < MinWords) return DropReasons.TooFewWords;
        if (words > MaxWords) return DropReasons.TooManyWords;
        return null;
    }
}
