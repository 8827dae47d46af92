namespace Tokamak.Data.Readers;

/// <summary>Counts kept up by a reader while it streams: records produced and malformed ones skipped.</summary>
public sealed class ReaderStats
{
    /// <summary>How many skip messages are kept verbatim; the rest are only counted.</summary>
    public const int MaxKeptErrors = 100;

    /// <summary>Records yielded.</summary>
    public long Records { get; internal set; }

    /// <summary>Malformed lines/rows skipped under <see cref="ErrorPolicy.Skip"/>.</summary>
    public long Skipped { get; internal set; }

    /// <summary>The first <see cref="MaxKeptErrors"/> skip messages ("file:line: problem").</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Applies the policy to one bad record: throws under Fail, counts and remembers under Skip.</summary>
    internal void Bad(ReaderOptions options, string source, long line, string problem)
    {
        var message = $"{source}:{line}: {problem}";
        if (options.OnError == ErrorPolicy.Fail) throw new InvalidDataException(message);
        Skipped++;
        if (Errors.Count < MaxKeptErrors) Errors.Add(message);
    }
}
