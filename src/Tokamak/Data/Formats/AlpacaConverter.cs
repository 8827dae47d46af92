using System.Text.Json.Nodes;

namespace Tokamak.Data.Formats;

/// <summary>
/// Alpaca records → conversation. As in LLaMA-Factory: history pairs become earlier user/assistant turns, the final
/// user turn is instruction + "\n" + input (input only when non-empty), the answer is output (or chosen/rejected).
/// </summary>
internal static class AlpacaConverter
{
    public static ConversionResult Convert(JsonObject r, DatasetInfo info, FieldLookup f)
    {
        var c = info.Columns;
        var turns = new List<Turn>();
        var history = f.Get(r, c.History);
        if (history != null)
        {
            if (history is not JsonArray pairs) return ConversionResult.Drop(DropReasons.InvalidHistory);
            foreach (var pair in pairs)
            {
                if (pair is not JsonArray { Count: 2 } p || !IsString(p[0], out var u) || !IsString(p[1], out var a))
                    return ConversionResult.Drop(DropReasons.InvalidHistory);
                turns.Add(new Turn(Role.User, u));
                turns.Add(new Turn(Role.Assistant, a));
            }
        }
        if (!f.TryGetString(r, c.Prompt, out var instruction) || string.IsNullOrWhiteSpace(instruction))
            return ConversionResult.Drop(DropReasons.MissingInstruction);
        if (!f.TryGetString(r, c.Query, out var input)) return ConversionResult.Drop(DropReasons.InvalidInput);
        turns.Add(new Turn(Role.User, string.IsNullOrEmpty(input) ? instruction : instruction + "\n" + input));

        if (!f.TryGetString(r, c.System, out var system)) return ConversionResult.Drop(DropReasons.InvalidSystem);
        var tools = ToolsText.Of(f.Get(r, c.Tools));

        if (info.Ranking)
        {
            if (!f.TryGetString(r, c.Chosen, out var chosen) || !f.TryGetString(r, c.Rejected, out var rejected)
                || string.IsNullOrWhiteSpace(chosen) || string.IsNullOrWhiteSpace(rejected))
                return ConversionResult.Drop(DropReasons.InvalidPreference);
            return ConversionResult.Ok(new UnifiedExample
            {
                System = NullIfEmpty(system), Tools = tools, Turns = turns,
                Chosen = [new Turn(Role.Assistant, chosen)], Rejected = [new Turn(Role.Assistant, rejected)],
            });
        }
        if (!f.TryGetString(r, c.Response, out var output) || string.IsNullOrWhiteSpace(output))
            return ConversionResult.Drop(DropReasons.MissingOutput);
        turns.Add(new Turn(Role.Assistant, output));
        return ConversionResult.Ok(new UnifiedExample { System = NullIfEmpty(system), Tools = tools, Turns = turns });
    }

    private static bool IsString(JsonNode? n, out string s)
    {
        s = "";
        if (n is JsonValue v && v.TryGetValue(out string? str)) { s = str; return true; }
        return false;
    }

    internal static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
