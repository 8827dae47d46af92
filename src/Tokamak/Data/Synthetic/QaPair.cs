namespace Tokamak.Data.Synthetic;

/// <summary>One question with its one correct short answer, tagged with the task it tests (e.g. <c>add_1digit</c>).</summary>
public sealed record QaPair(string Task, string Question, string Answer);

/// <summary>A kind of question: its name and how to draw one at random.</summary>
/// <param name="Name">Task name used in eval reports, e.g. <c>next_day</c>.</param>
/// <param name="Draw">Draws one question of this kind.</param>
/// <param name="Weight">Share of the training questions relative to other tasks (harder tasks get more).</param>
public sealed record QaTask(string Name, Func<SyntheticRandom, QaPair> Draw, int Weight = 1);
