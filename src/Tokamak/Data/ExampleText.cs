using System.Text;

namespace Tokamak.Data;

/// <summary>The plain text quality filters look at: the document, or every message of a conversation joined by newlines.</summary>
public static class ExampleText
{
    /// <summary>Joins system prompt, turns, chosen and rejected answers (or returns the pretraining content).</summary>
    public static string Flatten(UnifiedExample example)
    {
        if (example.Content != null) return example.Content;
        var sb = new StringBuilder();
        void Add(string? s)
        {
            if (string.IsNullOrEmpty(s)) return;
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(s);
        }
        Add(example.System);
        foreach (var t in example.Turns) Add(t.Content);
        if (example.Chosen != null) foreach (var t in example.Chosen) Add(t.Content);
        if (example.Rejected != null) foreach (var t in example.Rejected) Add(t.Content);
        return sb.ToString();
    }
}
