namespace Tokamak.Data;

/// <summary>Who speaks a turn; names follow LLaMA-Factory's internal roles so a chat template can map them 1:1.</summary>
public enum Role
{
    /// <summary>A system prompt placed inside the conversation.</summary>
    System,
    /// <summary>The human side.</summary>
    User,
    /// <summary>The model's reply (trained on).</summary>
    Assistant,
    /// <summary>The model's tool call (trained on, like an assistant turn).</summary>
    FunctionCall,
    /// <summary>A tool's result fed back to the model (not trained on).</summary>
    Observation,
}

/// <summary>One role-tagged message of a conversation.</summary>
/// <param name="Role">Speaker.</param>
/// <param name="Content">Message text.</param>
public sealed record Turn(Role Role, string Content);
