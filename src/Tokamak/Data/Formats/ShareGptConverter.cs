using System.Text.Json.Nodes;

namespace Tokamak.Data.Formats;

/// <summary>
/// ShareGPT/OpenAI message lists → conversation, with LLaMA-Factory's checks: an optional leading system message
/// (else the system column), then user/observation on odd positions and assistant/function on even ones; SFT
/// conversations have an even number of turns, ranking prompts an odd number followed by chosen/rejected messages.
/// </summary>
internal static class ShareGptConverter
{
    public static ConversionResult Convert(JsonObject r, DatasetInfo info, FieldLookup f)
    {
        var tags = info.Tags;
        if (f.Get(r, info.Columns.Messages) is not JsonArray { Count: > 0 } messages) return ConversionResult.Drop(DropReasons.InvalidMessages);
        var parsed = new List<(string Role, string Content)>(messages.Count);
        foreach (var m in messages)
        {
            if (!TryMessage(m, tags, out var role, out var content)) return ConversionResult.Drop(DropReasons.InvalidMessages);
            parsed.Add((role, content));
        }
        int first = 0;
        string? system;
        if (tags.SystemTag.Length > 0 && parsed[0].Role == tags.SystemTag)
        {
            system = parsed[0].Content;
            first = 1;
        }
        else if (!f.TryGetString(r, info.Columns.System, out system)) return ConversionResult.Drop(DropReasons.InvalidSystem);

        var turns = new List<Turn>(parsed.Count);
        for (int i = first; i < parsed.Count; i++)
        {
            bool userSide = (i - first) % 2 == 0;
            var role = Map(parsed[i].Role, tags, userSide);
            if (role == null) return ConversionResult.Drop(DropReasons.InvalidRoleOrder);
            turns.Add(new Turn(role.Value, parsed[i].Content));
        }
        var tools = ToolsText.Of(f.Get(r, info.Columns.Tools));
        system = AlpacaConverter.NullIfEmpty(system);

        if (!info.Ranking)
        {
            if (turns.Count == 0 || turns.Count % 2 != 0) return ConversionResult.Drop(DropReasons.InvalidMessageCount);
            return ConversionResult.Ok(new UnifiedExample { System = system, Tools = tools, Turns = turns });
        }
        if (turns.Count % 2 != 1) return ConversionResult.Drop(DropReasons.InvalidMessageCount);
        if (!TryMessage(f.Get(r, info.Columns.Chosen), tags, out var cr, out var cc) || Map(cr, tags, userSide: false) is not { } chosenRole
            || !TryMessage(f.Get(r, info.Columns.Rejected), tags, out var rr, out var rc) || Map(rr, tags, userSide: false) is not { } rejectedRole)
            return ConversionResult.Drop(DropReasons.InvalidPreference);
        return ConversionResult.Ok(new UnifiedExample
        {
            System = system, Tools = tools, Turns = turns,
            Chosen = [new Turn(chosenRole, cc)], Rejected = [new Turn(rejectedRole, rc)],
        });
    }

    /// <summary>The role of <paramref name="tag"/> if it may stand on this side of the conversation, else null.</summary>
    private static Role? Map(string tag, DatasetTags tags, bool userSide)
    {
        if (userSide)
        {
            if (tag == tags.UserTag) return Role.User;
            if (tag == tags.ObservationTag) return Role.Observation;
        }
        else
        {
            if (tag == tags.AssistantTag) return Role.Assistant;
            if (tag == tags.FunctionTag) return Role.FunctionCall;
        }
        return null;
    }

    private static bool TryMessage(JsonNode? node, DatasetTags tags, out string role, out string content)
    {
        role = content = "";
        if (node is not JsonObject o) return false;
        if (o[tags.RoleTag] is not JsonValue rv || !rv.TryGetValue(out string? rs)) return false;
        if (o[tags.ContentTag] is not JsonValue cv || !cv.TryGetValue(out string? cs)) return false;
        role = rs;
        content = cs;
        return true;
    }
}
