namespace Tokamak.Data.Formats;

/// <summary>
/// Message keys and role names of sharegpt-style records (dataset_info.json "tags").
/// Defaults are LLaMA-Factory's sharegpt ones; <see cref="OpenAi"/> gives role/content with user/assistant/system/tool.
/// </summary>
public sealed record DatasetTags
{
    /// <summary>Key holding the speaker.</summary>
    public string RoleTag { get; init; } = "from";
    /// <summary>Key holding the text.</summary>
    public string ContentTag { get; init; } = "value";
    /// <summary>Speaker name of user turns.</summary>
    public string UserTag { get; init; } = "human";
    /// <summary>Speaker name of assistant turns.</summary>
    public string AssistantTag { get; init; } = "gpt";
    /// <summary>Speaker name of tool results.</summary>
    public string ObservationTag { get; init; } = "observation";
    /// <summary>Speaker name of tool calls.</summary>
    public string FunctionTag { get; init; } = "function_call";
    /// <summary>Speaker name of a leading system message.</summary>
    public string SystemTag { get; init; } = "system";

    /// <summary>LLaMA-Factory's sharegpt defaults.</summary>
    public static DatasetTags ShareGpt { get; } = new();

    /// <summary>OpenAI chat message conventions.</summary>
    public static DatasetTags OpenAi { get; } = new()
    {
        RoleTag = "role", ContentTag = "content", UserTag = "user", AssistantTag = "assistant",
        ObservationTag = "tool", FunctionTag = "function_call", SystemTag = "system",
    };
}
