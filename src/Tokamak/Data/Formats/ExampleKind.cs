namespace Tokamak.Data.Formats;

/// <summary>What the examples are for, which decides how records are read.</summary>
public enum ExampleKind
{
    /// <summary>Conversations for supervised fine-tuning or preference training (ranking comes from <see cref="DatasetInfo.Ranking"/>).</summary>
    Conversation,
    /// <summary>Plain documents for pretraining: the "text" field (or the explicitly configured prompt column).</summary>
    Pretraining,
}
