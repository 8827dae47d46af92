using System.Text.Json;
using Tokamak.Data.Synthetic;

namespace Tokamak.Analysis.Evaluation;

/// <summary>The held-out questions and stories an evaluation scores.</summary>
public sealed record HeldOutData(IReadOnlyList<EvalItem> Questions, IReadOnlyList<string> Stories)
{
    /// <summary>
    /// Reads <c>heldout/qa.jsonl</c> and <c>heldout/stories.jsonl</c> from a folder written by <c>tokamak corpus</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A line is not a JSON object with the expected string fields.</exception>
    public static HeldOutData Load(string corpusDirectory)
    {
        string qa = Path.Combine(corpusDirectory, CorpusWriter.HeldOutQuestionsFile);
        string stories = Path.Combine(corpusDirectory, CorpusWriter.HeldOutStoriesFile);
        var questions = ReadLines(qa, ["task", "question", "answer"]).Select(f => new EvalItem(f[0], f[1], f[2])).ToList();
        var texts = ReadLines(stories, ["text"]).Select(f => f[0]).ToList();
        return new HeldOutData(questions, texts);
    }

    /// <summary>The default held-out split, generated in memory exactly as <c>tokamak corpus</c> writes it by default.</summary>
    public static HeldOutData Default()
    {
        var o = new CorpusOptions();
        var set = HeldOutSet.Generate(o.HeldOutFraction, o.EvalQuestionsPerTask, o.EvalStories);
        return new HeldOutData(set.Questions.Select(q => new EvalItem(q.Task, q.Question, q.Answer)).ToList(), set.Stories);
    }

    /// <summary>
    /// Keeps the questions of <paramref name="tasks"/> ("default" or "all": every task; else a comma-separated list),
    /// at most <paramref name="limitPerTask"/> per task (0: no limit).
    /// </summary>
    /// <exception cref="ArgumentException">A named task has no questions.</exception>
    public HeldOutData Select(string tasks, int limitPerTask = 0)
    {
        IEnumerable<EvalItem> items = Questions;
        if (tasks is not ("default" or "all"))
        {
            var wanted = tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            var known = Questions.Select(q => q.Task).ToHashSet(StringComparer.Ordinal);
            foreach (var t in wanted)
                if (!known.Contains(t)) throw new ArgumentException($"task '{t}' has no held-out questions (known: {string.Join(", ", known)})");
            items = items.Where(q => wanted.Contains(q.Task));
        }
        if (limitPerTask > 0) items = items.GroupBy(q => q.Task).SelectMany(g => g.Take(limitPerTask));
        return this with { Questions = items.ToList() };
    }

    private static IEnumerable<string[]> ReadLines(string path, string[] fields)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"held-out file not found: {path} (write one with 'tokamak corpus')", path);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNo}: not valid JSON ({e.Message})"); }
            using (doc)
            {
                var values = new string[fields.Length];
                for (int i = 0; i < fields.Length; i++)
                {
                    if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(fields[i], out var v) || v.ValueKind != JsonValueKind.String)
                        throw new InvalidDataException($"{path}:{lineNo}: expected an object with a string \"{fields[i]}\"");
                    values[i] = v.GetString()!;
                }
                yield return values;
            }
        }
    }
}
