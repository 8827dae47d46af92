using System.Globalization;

namespace Tokamak.Server;

/// <summary>Parses sizes such as <c>512MB</c>, <c>2GiB</c>, <c>1.5G</c> or a plain byte count.</summary>
public static class ByteSize
{
    /// <summary>Bytes in <paramref name="text"/>; <paramref name="what"/> names the setting in the error.</summary>
    /// <exception cref="ArgumentException">Not a size.</exception>
    public static long Parse(string text, string what = "size")
    {
        var s = text.Trim();
        int i = 0;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !double.TryParse(s[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new ArgumentException($"{what} must be a size like 512MB or 2GiB, got '{text}'");
        long unit = s[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1000,
            "KIB" => 1L << 10,
            "M" or "MB" => 1000_000,
            "MIB" => 1L << 20,
            "G" or "GB" => 1000_000_000,
            "GIB" => 1L << 30,
            "T" or "TB" => 1000_000_000_000,
            "TIB" => 1L << 40,
            _ => throw new ArgumentException($"{what} has an unknown unit in '{text}' (use B, KB, MB, GB, KiB, MiB, GiB)"),
        };
        double bytes = value * unit;
        if (bytes < 1 || bytes > long.MaxValue) throw new ArgumentException($"{what} is out of range: '{text}'");
        return (long)bytes;
    }
}
