using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Text.Templates;

namespace Tokamak.Server.Api;

/// <summary>
/// Validates chat messages and tools, and renders them through the model's chat template. A trailing assistant
/// message is continued: the prompt ends right after its content instead of closing the turn.
/// </summary>
internal static class ChatPrompt
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Messages in the template's shape: content flattened to a string, <c>developer</c> as <c>system</c>.</summary>
    public static JsonArray ReadMessages(RequestReader r)
    {
        var messages = r.Array("messages") ?? throw ApiException.BadRequest("'messages' is required", "messages");
        if (messages.Count == 0) throw ApiException.BadRequest("'messages' must hold at least one message", "messages");
        var result = new JsonArray();
        for (int i = 0; i < messages.Count; i++)
        {
            string param = $"messages[{i}]";
            if (messages[i] is not JsonObject m) throw ApiException.BadRequest($"'{param}' must be an object", param);
            var mr = new RequestReader(m);
            string role = ReadField(() => mr.String("role"), param) ?? throw ApiException.BadRequest($"'{param}.role' is required", $"{param}.role");
            if (!Roles.Contains(role)) throw ApiException.BadRequest($"'{param}.role' must be one of system, developer, user, assistant, tool; got '{role}'", $"{param}.role");
            var copy = new JsonObject();
            foreach (var (k, v) in m)
                if (k is not "content" and not "role") copy[k] = v?.DeepClone();
            copy["role"] = role == "developer" ? "system" : role;
            copy["content"] = Content(m["content"], $"{param}.content", allowNull: role == "assistant");
            if (m["tool_calls"] is { } tc && tc is not JsonArray) throw ApiException.BadRequest($"'{param}.tool_calls' must be an array", $"{param}.tool_calls");
            result.Add(copy);
        }
        return result;
    }

    private static T ReadField<T>(Func<T> read, string param)
    {
        try { return read(); }
        catch (ApiException e) { throw ApiException.BadRequest(e.Message.Replace("'role'", $"'{param}.role'"), $"{param}.role"); }
    }

    private static string? Content(JsonNode? node, string param, bool allowNull)
    {
        if (node is null) return allowNull ? null : throw ApiException.BadRequest($"'{param}' is required", param);
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        if (node is not JsonArray parts) throw RequestReader.TypeError(param, "a string or an array of content parts", node);
        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is not JsonObject po || po["type"]?.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadRequest($"'{param}' parts must be objects with a 'type'", param);
            string type = po["type"]!.GetValue<string>();
            if (type != "text") throw ApiException.BadRequest($"content part type '{type}' is not supported (text only)", param);
            if (po["text"] is not JsonValue tv || tv.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadRequest($"'{param}' text parts need a string 'text'", param);
            sb.Append(tv.GetValue<string>());
        }
        return sb.ToString();
    }

    /// <summary>The <c>tools</c> array, checked to be function definitions with names.</summary>
    public static JsonArray? ReadTools(RequestReader r)
    {
        var tools = r.Array("tools");
        if (tools is null || tools.Count == 0) return null;
        for (int i = 0; i < tools.Count; i++)
        {
            string param = $"tools[{i}]";
            if (tools[i] is not JsonObject t || t["type"]?.GetValueKind() != JsonValueKind.String || t["type"]!.GetValue<string>() != "function")
                throw ApiException.BadRequest($"'{param}' must be an object with type 'function'", param);
            if (t["function"] is not JsonObject f || f["name"]?.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadRequest($"'{param}.function.name' is required", $"{param}.function.name");
        }
        return (JsonArray)tools.DeepClone();
    }

    /// <summary>Renders the conversation to prompt text.</summary>
    public static string Render(ChatTemplate template, JsonArray messages, JsonArray? tools, bool continueFinal, bool addGenerationPrompt,
        IReadOnlyDictionary<string, JsonNode?>? extra)
    {
        try
        {
            if (!continueFinal) return template.Render(messages, addGenerationPrompt, tools, extra);
            var last = (JsonObject)messages[^1]!;
            string content = last["content"]?.GetValue<string>() ?? "";
            if (content.Length == 0)
            {
                // Nothing to continue: the turn starts fresh, as if the empty message were not there.
                var head = (JsonArray)messages.DeepClone();
                head.RemoveAt(head.Count - 1);
                return template.Render(head, true, tools, extra);
            }
            string full = template.Render(messages, false, tools, extra);
            int at = full.LastIndexOf(content, StringComparison.Ordinal);
            if (at < 0) throw ApiException.BadRequest("the chat template does not reproduce the final assistant message verbatim, so it cannot be continued", "messages");
            return full[..(at + content.Length)];
        }
        catch (TemplateException e)
        {
            throw ApiException.BadRequest($"the chat template rejected the messages: {e.Message}", "messages");
        }
    }
}
