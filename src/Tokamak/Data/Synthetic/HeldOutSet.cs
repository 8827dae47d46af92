namespace Tokamak.Data.Synthetic;

/// <summary>The evaluation data: held-out questions (with tasks) and held-out stories.</summary>
public sealed record HeldOutSet(IReadOnlyList<QaPair> Questions, IReadOnlyList<string> Stories)
{
    /// <summary>
    /// Draws the held-out set. It uses its own fixed seed, so it is the same for every training seed and size: eval
    /// numbers stay comparable between corpora. Draws stop early for tasks with fewer distinct held-out questions.
    /// </summary>
    public static HeldOutSet Generate(double fraction, int questionsPerTask, int stories, IEnumerable<QaTask>? tasks = null)
    {
        var rng = new SyntheticRandom(EvalSeed);
        var questions = new List<QaPair>();
        foreach (var task in tasks ?? QaTasks.All)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var taskRng = rng.Fork((ulong)questions.Count + 1);
            // Small tasks (7 days × 8 phrasings) have few distinct held-out questions: give up after enough misses.
            for (int misses = 0; seen.Count < questionsPerTask && misses < 2000;)
            {
                var qa = task.Draw(taskRng);
                if (HeldOutSplit.IsHeldOut(qa.Question, fraction) && seen.Add(qa.Question))
                {
                    questions.Add(qa);
                    misses = 0;
                }
                else misses++;
            }
        }
        var storyRng = rng.Fork(0x5707);
        var storySet = new HashSet<string>(StringComparer.Ordinal);
        var storyList = new List<string>();
        for (int misses = 0; storyList.Count < stories && misses < 100_000;)
        {
            string s = StoryGenerator.Generate(storyRng);
            if (HeldOutSplit.IsHeldOut(s, fraction) && storySet.Add(s)) storyList.Add(s);
            else misses++;
        }
        return new HeldOutSet(questions, storyList);
    }

    /// <summary>The fixed seed of the held-out draw.</summary>
    public const ulong EvalSeed = 0xE7A1_0000_0000_0001UL;
}
