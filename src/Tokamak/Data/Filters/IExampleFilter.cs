namespace Tokamak.Data.Filters;

/// <summary>
/// A quality filter that decides one example at a time, in stream order (it may remember earlier kept examples,
/// as the dedup filters do).
/// </summary>
public interface IExampleFilter
{
    /// <summary>Stage name in the report.</summary>
    string Name { get; }

    /// <summary>A drop reason (see <see cref="DropReasons"/>) or null to keep the example.</summary>
    string? Check(UnifiedExample example);
}

/// <summary>A quality filter that needs to see every surviving example before deciding (frequencies, percentiles).</summary>
public interface IBatchFilter
{
    /// <summary>Stage name in the report.</summary>
    string Name { get; }

    /// <summary>A drop reason or null for each example, index-aligned with <paramref name="examples"/>.</summary>
    IReadOnlyList<string?> Evaluate(IReadOnlyList<UnifiedExample> examples);
}
