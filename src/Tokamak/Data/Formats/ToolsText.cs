using System.Text.Json.Nodes;

namespace Tokamak.Data.Formats;

/// <summary>Tool descriptions are kept as JSON text: strings as they are, structured values serialized.</summary>
internal static class ToolsText
{
    public static string? Of(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => string.IsNullOrEmpty(s) ? null : s,
        _ => node.ToJsonString(),
    };
}
