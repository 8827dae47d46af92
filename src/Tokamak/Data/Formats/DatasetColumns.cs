namespace Tokamak.Data.Formats;

/// <summary>
/// Which record field holds each part of an example (dataset_info.json "columns"). Defaults are LLaMA-Factory's:
/// prompt=instruction, query=input, response=output, messages=conversations (messages for OpenAI format);
/// history, system and tools are only read when named. Ranking datasets default chosen/rejected to "chosen"/"rejected".
/// </summary>
public sealed record DatasetColumns
{
    /// <summary>Instruction field (alpaca), or the text field for pretraining when set explicitly.</summary>
    public string Prompt { get; init; } = "instruction";

    /// <summary>True when dataset_info.json named the prompt column (pretraining then reads it instead of "text").</summary>
    public bool PromptExplicit { get; init; }

    /// <summary>Optional extra input appended to the instruction after a newline (alpaca).</summary>
    public string Query { get; init; } = "input";

    /// <summary>Answer field (alpaca).</summary>
    public string Response { get; init; } = "output";

    /// <summary>List of [user, assistant] pairs preceding the instruction (alpaca), or null for none.</summary>
    public string? History { get; init; }

    /// <summary>Message list field (sharegpt/openai).</summary>
    public string Messages { get; init; } = "conversations";

    /// <summary>System prompt field, or null.</summary>
    public string? System { get; init; }

    /// <summary>Tool description field, or null.</summary>
    public string? Tools { get; init; }

    /// <summary>Preferred answer field (ranking).</summary>
    public string Chosen { get; init; } = "chosen";

    /// <summary>Dispreferred answer field (ranking).</summary>
    public string Rejected { get; init; } = "rejected";
}
