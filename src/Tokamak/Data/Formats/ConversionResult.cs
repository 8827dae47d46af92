namespace Tokamak.Data.Formats;

/// <summary>Either a unified example or the reason code the record was dropped for.</summary>
internal readonly record struct ConversionResult(UnifiedExample? Example, string? DropReason)
{
    public static ConversionResult Ok(UnifiedExample e) => new(e, null);
    public static ConversionResult Drop(string reason) => new(null, reason);
}
