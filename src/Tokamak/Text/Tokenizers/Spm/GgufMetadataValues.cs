using System.Collections;
using System.Globalization;

namespace Tokamak.Text.Tokenizers.Spm;

/// <summary>Lenient typed reads of GGUF metadata values (numbers of any integer/float type, arrays of any element type).</summary>
internal static class GgufMetadataValues
{
    public static string? String(IReadOnlyDictionary<string, object> m, string key) =>
        m.TryGetValue(key, out var v) ? v as string ?? throw Bad(key, v, "a string") : null;

    public static int? Int(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v)) return null;
        try { return Convert.ToInt32(v, CultureInfo.InvariantCulture); }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException) { throw Bad(key, v, "an integer"); }
    }

    public static bool? Bool(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v)) return null;
        return v is bool b ? b : Convert.ToInt64(v, CultureInfo.InvariantCulture) != 0;
    }

    public static string[]? Strings(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v)) return null;
        if (v is string[] s) return s;
        if (v is IEnumerable e and not string)
            return e.Cast<object>().Select(x => x as string ?? throw Bad(key, v, "a string array")).ToArray();
        throw Bad(key, v, "a string array");
    }

    public static float[]? Floats(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v)) return null;
        if (v is float[] f) return f;
        if (v is IEnumerable e and not string)
            return e.Cast<object>().Select(x => Convert.ToSingle(x, CultureInfo.InvariantCulture)).ToArray();
        throw Bad(key, v, "a number array");
    }

    public static int[]? Ints(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v)) return null;
        if (v is int[] i) return i;
        if (v is IEnumerable e and not string)
            return e.Cast<object>().Select(x => Convert.ToInt32(x, CultureInfo.InvariantCulture)).ToArray();
        throw Bad(key, v, "an integer array");
    }

    private static InvalidDataException Bad(string key, object value, string expected) =>
        new($"GGUF metadata {key} is {value.GetType().Name}, expected {expected}");
}
