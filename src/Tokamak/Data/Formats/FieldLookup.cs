using System.Text.Json.Nodes;

namespace Tokamak.Data.Formats;

/// <summary>Finds a column in a record by its configured name or an alias and counts which name matched.</summary>
internal sealed class FieldLookup(FieldAliases aliases, DataReport report)
{
    /// <summary>The value of <paramref name="column"/> (null when absent or JSON null).</summary>
    public JsonNode? Get(JsonObject record, string? column)
    {
        if (column == null) return null;
        if (record.TryGetPropertyValue(column, out var v))
        {
            report.CountVariant(column, column);
            return v;
        }
        foreach (var alt in aliases.VariantsOf(column))
            if (record.TryGetPropertyValue(alt, out v))
            {
                report.CountVariant(column, alt);
                return v;
            }
        return null;
    }

    /// <summary>The string value, or null when absent/null; false when present but not a string.</summary>
    public bool TryGetString(JsonObject record, string? column, out string? value)
    {
        var node = Get(record, column);
        value = null;
        if (node == null) return true;
        if (node is JsonValue jv && jv.TryGetValue(out string? s)) { value = s; return true; }
        return false;
    }
}
