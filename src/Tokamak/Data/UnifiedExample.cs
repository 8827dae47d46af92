namespace Tokamak.Data;

/// <summary>
/// A training example in the one shape every dataset format is converted to. Chat examples carry ordered,
/// role-tagged <see cref="Turns"/> (user/observation on odd positions, assistant/function on even ones) so a chat
/// template can render them and mask the loss on non-assistant turns; preference examples put the shared prompt in
/// <see cref="Turns"/> (ending with a user turn) and the two answers in <see cref="Chosen"/>/<see cref="Rejected"/>;
/// pretraining examples only set <see cref="Content"/>.
/// </summary>
public sealed class UnifiedExample
{
    /// <summary>System prompt, or null when the record has none.</summary>
    public string? System { get; init; }

    /// <summary>Tool descriptions as the dataset gave them (a JSON string), or null.</summary>
    public string? Tools { get; init; }

    /// <summary>Conversation in order. For supervised examples the last turn is the assistant's answer.</summary>
    public List<Turn> Turns { get; init; } = [];

    /// <summary>Preferred answer turn(s) of a ranking example, else null.</summary>
    public List<Turn>? Chosen { get; init; }

    /// <summary>Dispreferred answer turn(s) of a ranking example, else null.</summary>
    public List<Turn>? Rejected { get; init; }

    /// <summary>Raw document text of a pretraining example, else null.</summary>
    public string? Content { get; init; }

    /// <summary>"file:line" of the raw record this came from (not part of the written output).</summary>
    public string? Origin { get; init; }

    /// <summary>True when this is a pretraining document rather than a conversation.</summary>
    public bool IsPretraining => Content != null;
}
