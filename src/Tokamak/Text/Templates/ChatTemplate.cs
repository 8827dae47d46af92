using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Text.Templates;

/// <summary>
/// A Hugging Face chat template (<c>tokenizer_config.json</c>'s <c>chat_template</c>) with the special tokens it
/// references. <see cref="Render"/> builds the context transformers' <c>apply_chat_template</c> does:
/// the special-token strings, <c>messages</c>, <c>tools</c> (None when absent), <c>documents</c> (None),
/// <c>add_generation_prompt</c>, and any extra options such as <c>enable_thinking</c>.
/// </summary>
public sealed class ChatTemplate
{
    private static readonly string[] SpecialTokenKeys =
        ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private static readonly HashSet<string> ReservedNames = ["messages", "tools", "documents", "add_generation_prompt"];

    private readonly Dictionary<string, JinjaValue> _specialTokens = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="source"/>; special tokens that are null are left undefined, as in transformers.</summary>
    /// <exception cref="TemplateException">The template does not parse.</exception>
    public ChatTemplate(string source, string? bosToken, string? eosToken, IReadOnlyDictionary<string, string>? otherSpecialTokens = null)
    {
        Template = new JinjaTemplate(source);
        BosToken = bosToken;
        EosToken = eosToken;
        if (otherSpecialTokens is not null)
            foreach (var (k, v) in otherSpecialTokens) _specialTokens[k] = new JinjaString(v);
        if (bosToken is not null) _specialTokens["bos_token"] = new JinjaString(bosToken);
        if (eosToken is not null) _specialTokens["eos_token"] = new JinjaString(eosToken);
    }

    /// <summary>The parsed template.</summary>
    public JinjaTemplate Template { get; }

    /// <summary>The <c>bos_token</c> string, if any.</summary>
    public string? BosToken { get; }

    /// <summary>The <c>eos_token</c> string, if any.</summary>
    public string? EosToken { get; }

    /// <summary>Clock for templates that call <c>strftime_now</c> (e.g. Llama 3.1+); system local time by default.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Renders a conversation to the prompt text.</summary>
    /// <param name="messages">Array of message objects (<c>role</c>, <c>content</c>, optional <c>tool_calls</c>, …).</param>
    /// <param name="addGenerationPrompt">Append the assistant-turn header.</param>
    /// <param name="tools">Tool (function) schemas, or null (the template sees None).</param>
    /// <param name="extra">Extra template variables, e.g. <c>enable_thinking</c>; they override special tokens.</param>
    /// <exception cref="TemplateException">Rendering failed or the template raised an exception.</exception>
    public string Render(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null, IReadOnlyDictionary<string, JsonNode?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new Dictionary<string, JinjaValue>(_specialTokens, StringComparer.Ordinal);
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                if (ReservedNames.Contains(k))
                    throw new ArgumentException($"extra option '{k}' is set by Render itself; pass it through the dedicated parameter", nameof(extra));
                context[k] = JinjaValue.FromJson(v);
            }
        }
        context["messages"] = JinjaValue.FromJson(messages);
        context["tools"] = tools is null ? JinjaValue.None : JinjaValue.FromJson(tools);
        context["documents"] = JinjaValue.None;
        context["add_generation_prompt"] = JinjaValue.From(addGenerationPrompt);
        return Template.Render(context, TimeProvider);
    }

    /// <summary>
    /// Loads the chat template and special tokens from a Hugging Face <c>tokenizer_config.json</c>. The template is
    /// <c>chat_template</c> (a string, or a list of <c>{name, template}</c> from which <paramref name="templateName"/>
    /// — default <c>"default"</c> — is picked, e.g. <c>"tool_use"</c>), or a sibling <c>chat_template.jinja</c>.
    /// Special tokens may be strings or <c>{"content": ...}</c> objects.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has no usable template.</exception>
    /// <exception cref="ArgumentException">The named template variant does not exist.</exception>
    public static ChatTemplate FromTokenizerConfig(string tokenizerConfigJsonPath, string? templateName = null)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(tokenizerConfigJsonPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{tokenizerConfigJsonPath}: not valid JSON ({e.Message})"); }
        if (root is not JsonObject config) throw new InvalidDataException($"{tokenizerConfigJsonPath}: expected a JSON object");

        string source = SelectTemplate(config, tokenizerConfigJsonPath, templateName);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in SpecialTokenKeys)
            if (TokenText(config[key]) is { } text) tokens[key] = text;
        tokens.Remove("bos_token", out var bos);
        tokens.Remove("eos_token", out var eos);
        return new ChatTemplate(source, bos, eos, tokens);
    }

    private static string SelectTemplate(JsonObject config, string path, string? templateName)
    {
        string wanted = templateName ?? "default";
        switch (config["chat_template"])
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                if (templateName is not null && templateName != "default")
                    throw new ArgumentException($"{path} has a single chat template; there is no '{templateName}' variant", nameof(templateName));
                return v.GetValue<string>();
            case JsonArray list:
                var names = new List<string>();
                foreach (var item in list)
                {
                    if (item is not JsonObject o || o["name"]?.GetValue<string>() is not { } name) continue;
                    names.Add(name);
                    if (name == wanted)
                        return o["template"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: chat template '{name}' has no 'template' text");
                }
                throw new ArgumentException($"{path} has no chat template named '{wanted}' (available: {string.Join(", ", names)})", nameof(templateName));
            case null:
                string sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "chat_template.jinja");
                if (File.Exists(sibling)) return File.ReadAllText(sibling);
                throw new InvalidDataException($"{path} has no chat_template (and no chat_template.jinja beside it)");
            default:
                throw new InvalidDataException($"{path}: chat_template must be a string or a list of {{name, template}}");
        }
    }

    private static string? TokenText(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
        _ => null,
    };
}
