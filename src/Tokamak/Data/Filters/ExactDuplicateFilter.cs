using System.Security.Cryptography;
using System.Text;

namespace Tokamak.Data.Filters;

/// <summary>Drops an example whose normalized text (see <see cref="TextNormalizer"/>) hashes equal to an earlier one's (128-bit SHA-256 prefix).</summary>
public sealed class ExactDuplicateFilter : IExampleFilter
{
    private readonly HashSet<UInt128> _seen = [];

    /// <inheritdoc />
    public string Name => "exact_dedup";

    /// <inheritdoc />
    public string? Check(UnifiedExample example)
    {
        var normalized = TextNormalizer.Normalize(ExampleText.Flatten(example));
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(normalized), digest);
        var key = new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
        return _seen.Add(key) ? null : DropReasons.ExactDuplicate;
    }
}
