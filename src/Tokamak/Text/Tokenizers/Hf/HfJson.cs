using System.Text.Json;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>Small typed accessors over tokenizer.json elements that fail with a message naming the field.</summary>
internal static class HfJson
{
    public static string Type(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"tokenizer.json: {what} has no \"type\"");
        return t.GetString()!;
    }

    public static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string RequiredString(JsonElement e, string name, string what) =>
        String(e, name) ?? throw new InvalidDataException($"tokenizer.json: {what} is missing string \"{name}\"");

    public static bool Bool(JsonElement e, string name, bool fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : fallback;

    public static int Int(JsonElement e, string name, int fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public static JsonElement? Child(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static IEnumerable<JsonElement> Array(JsonElement e, string name, string what)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"tokenizer.json: {what} is missing array \"{name}\"");
        return v.EnumerateArray();
    }

    /// <summary>A <c>{"String": s}</c> or <c>{"Regex": r}</c> pattern, as a .NET regex (strings are escaped).</summary>
    public static OnigRegex Pattern(JsonElement e, string what)
    {
        if (e.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            if (String(p, "String") is { } s) return OnigRegex.Literal(s);
            if (String(p, "Regex") is { } r) return OnigRegex.Translate(r);
        }
        throw new InvalidDataException($"tokenizer.json: {what} has no String/Regex pattern");
    }

    /// <summary>The literal string of a <c>{"String": s}</c> pattern, or null for a regex.</summary>
    public static string? LiteralPattern(JsonElement e) =>
        e.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object ? String(p, "String") : null;
}
