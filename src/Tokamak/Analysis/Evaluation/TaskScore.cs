namespace Tokamak.Analysis.Evaluation;

/// <summary>Exact-match result of one task.</summary>
public sealed record TaskScore(string Task, int Correct, int Total)
{
    /// <summary>Correct / total (0 for an empty task).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>Exact-match results per task and overall.</summary>
/// <param name="Tasks">Per task, in first-seen order.</param>
public sealed record ExactMatchReport(IReadOnlyList<TaskScore> Tasks)
{
    /// <summary>Correct answers over all tasks.</summary>
    public int Correct => Tasks.Sum(t => t.Correct);

    /// <summary>Questions over all tasks.</summary>
    public int Total => Tasks.Sum(t => t.Total);

    /// <summary>Accuracy over all questions (tasks weighted by size).</summary>
    public double MicroAccuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Mean of the per-task accuracies (every task counts the same).</summary>
    public double MacroAccuracy => Tasks.Count == 0 ? 0 : Tasks.Average(t => t.Accuracy);

    /// <summary>Groups outcomes by task, keeping the order in which tasks first appear.</summary>
    public static ExactMatchReport From(IEnumerable<EvalOutcome> outcomes)
    {
        var order = new List<string>();
        var counts = new Dictionary<string, (int Correct, int Total)>(StringComparer.Ordinal);
        foreach (var o in outcomes)
        {
            if (!counts.TryGetValue(o.Item.Task, out var c)) order.Add(o.Item.Task);
            counts[o.Item.Task] = (c.Correct + (o.Correct ? 1 : 0), c.Total + 1);
        }
        return new ExactMatchReport(order.Select(t => new TaskScore(t, counts[t].Correct, counts[t].Total)).ToList());
    }
}
