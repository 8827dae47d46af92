using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Data.Rendering;

/// <summary>
/// Renders <see cref="UnifiedExample"/>s through a model's chat template into token ids whose loss mask covers exactly
/// the assistant turns. The ids are those of tokenizing the whole rendered conversation (as
/// <c>apply_chat_template(tokenize=True)</c> does); turn boundaries are found by rendering and tokenizing each
/// prefix of the conversation and taking the longest common token prefix with the full sequence.
/// </summary>
public sealed class ConversationRenderer
{
    private readonly ChatTemplate _template;
    private readonly Tokenizer _tokenizer;

    /// <summary>Creates a renderer for one template/tokenizer pair.</summary>
    public ConversationRenderer(ChatTemplate template, Tokenizer tokenizer, RenderOptions? options = null)
    {
        _template = template;
        _tokenizer = tokenizer;
        Options = options ?? new RenderOptions();
        if (Options.CutoffLen < 2) throw new ArgumentException($"cutoff_len must be at least 2, got {Options.CutoffLen}");
    }

    /// <summary>Rendering options.</summary>
    public RenderOptions Options { get; }

    /// <summary>
    /// Renders a supervised conversation. When it exceeds <see cref="RenderOptions.CutoffLen"/>, the oldest
    /// (user, assistant) exchanges are dropped until it fits (the system prompt stays); a single exchange that is still
    /// too long is cut at the end.
    /// </summary>
    public RenderedExample RenderSupervised(UnifiedExample example)
    {
        if (example.Turns.Count == 0) throw new ArgumentException($"example {example.Origin} has no turns");
        var turns = example.Turns;
        var tools = Tools(example);
        while (true)
        {
            var r = RenderTurns(example.System, turns, tools);
            if (r.Ids.Length <= Options.CutoffLen) return r;
            int drop = FirstExchangeLength(turns);
            if (drop == 0 || drop >= turns.Count) return new RenderedExample(r.Ids[..Options.CutoffLen], r.LossMask[..Options.CutoffLen]);
            turns = turns.Skip(drop).ToList();
        }
    }

    /// <summary>
    /// Renders a preference example into (prompt, chosen response, rejected response) token ids: the prompt is the
    /// conversation with the generation prompt, each response the tokens its rendering adds after that prefix.
    /// </summary>
    public (int[] Prompt, int[] Chosen, int[] Rejected) RenderPreference(UnifiedExample example)
    {
        if (example.Chosen is null || example.Rejected is null) throw new ArgumentException($"example {example.Origin} is not a preference example (no chosen/rejected)");
        var tools = Tools(example);
        var prompt = Encode(_template.Render(Messages(example.System, example.Turns), addGenerationPrompt: true, Clone(tools)));
        int[] Answer(List<Turn> answer)
        {
            var full = Encode(_template.Render(Messages(example.System, [.. example.Turns, .. answer]), addGenerationPrompt: false, Clone(tools)));
            int common = CommonPrefix(prompt, full);
            return full[common..];
        }
        var chosen = Answer(example.Chosen);
        var rejected = Answer(example.Rejected);
        // Keep the responses whole when possible: the prompt gives way first (its most recent tokens are kept).
        int budget = Options.CutoffLen - Math.Max(chosen.Length, rejected.Length);
        if (budget < 1) budget = Math.Max(1, Options.CutoffLen / 2);
        if (prompt.Length > budget) prompt = prompt[^budget..];
        int room = Options.CutoffLen - prompt.Length;
        return (prompt, chosen.Length > room ? chosen[..room] : chosen, rejected.Length > room ? rejected[..room] : rejected);
    }

    private RenderedExample RenderTurns(string? system, List<Turn> turns, JsonArray? tools)
    {
        var ids = Encode(_template.Render(Messages(system, turns), addGenerationPrompt: false, Clone(tools)));
        var mask = new bool[ids.Length];
        if (Options.TrainOnPrompt) Array.Fill(mask, true);
        int lastAssistant = turns.FindLastIndex(IsTrained);
        for (int k = 0; k < turns.Count; k++)
        {
            if (!IsTrained(turns[k]) || (Options.MaskHistory && k != lastAssistant)) continue;
            // Tokens before the turn: the prefix rendered with the assistant header; after it: the prefix including the turn.
            int start = CommonPrefix(ids, Encode(_template.Render(Messages(system, turns.Take(k)), addGenerationPrompt: true, Clone(tools))));
            int end = CommonPrefix(ids, Encode(_template.Render(Messages(system, turns.Take(k + 1)), addGenerationPrompt: false, Clone(tools))));
            for (int i = start; i < end; i++) mask[i] = true;
        }
        return new RenderedExample(ids, mask);
    }

    private static bool IsTrained(Turn t) => t.Role is Role.Assistant or Role.FunctionCall;

    // Turns up to and including the first assistant reply: the oldest exchange.
    private static int FirstExchangeLength(List<Turn> turns)
    {
        int i = turns.FindIndex(IsTrained);
        return i < 0 ? 0 : i + 1;
    }

    private int[] Encode(string text) => _tokenizer.Encode(text, addSpecialTokens: false);

    private static int CommonPrefix(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    // A JsonNode has one parent, so every render gets its own copy of the tools array.
    private static JsonArray? Clone(JsonArray? tools) => tools?.DeepClone().AsArray();

    /// <summary>
    /// The template's <c>tools</c> list parsed from the example's tools JSON (an array of tool descriptions, or one
    /// description object), or null when the example has none.
    /// </summary>
    public static JsonArray? Tools(UnifiedExample example)
    {
        if (string.IsNullOrWhiteSpace(example.Tools)) return null;
        JsonNode? node;
        try { node = JsonNode.Parse(example.Tools); }
        catch (JsonException e) { throw new InvalidDataException($"example {example.Origin}: tools is not valid JSON ({e.Message})"); }
        return node switch
        {
            JsonArray a => a.Count == 0 ? null : a,
            JsonObject o => [o],
            _ => throw new InvalidDataException($"example {example.Origin}: tools must be a JSON array or object"),
        };
    }

    /// <summary>
    /// The template's <c>messages</c> array for a system prompt and turns. Roles: system, user, assistant, tool; a
    /// function-call turn (JSON <c>{"name", "arguments"}</c> or an array of them) becomes an assistant message with
    /// <c>tool_calls: [{"type": "function", "function": {"name", "arguments"}}]</c>, an observation a <c>tool</c> message.
    /// </summary>
    public static JsonArray Messages(string? system, IEnumerable<Turn> turns)
    {
        var a = new JsonArray();
        if (!string.IsNullOrEmpty(system)) a.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        foreach (var t in turns)
            a.Add(t.Role == Role.FunctionCall
                ? new JsonObject { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = ToolCalls(t.Content) }
                : new JsonObject
                {
                    ["role"] = t.Role switch { Role.System => "system", Role.User => "user", Role.Observation => "tool", _ => "assistant" },
                    ["content"] = t.Content,
                });
        return a;
    }

    private static JsonArray ToolCalls(string content)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(content); }
        catch (JsonException e) { throw new InvalidDataException($"function_call turn is not valid JSON ({e.Message}): {Short(content)}"); }
        var calls = new JsonArray();
        foreach (var call in node is JsonArray list ? list.ToList() : [node])
        {
            if (call is not JsonObject o || o["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
                throw new InvalidDataException($"function_call turn needs {{\"name\": string, \"arguments\": ...}}: {Short(content)}");
            calls.Add(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = name.GetValue<string>(), ["arguments"] = o["arguments"]?.DeepClone() ?? new JsonObject() },
            });
        }
        return calls;
    }

    private static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
