using System.Diagnostics;

namespace Tokamak.Data.Preparation;

/// <summary>
/// Wraps a lazy stage so the time spent producing its items (including the stages feeding it) and the item count
/// are measured; a stage's own time is its inclusive time minus that of the stage it pulls from.
/// </summary>
internal sealed class StageClock
{
    public long Ticks;
    public long Items;

    public double Seconds => Ticks / (double)Stopwatch.Frequency;

    public IEnumerable<T> Wrap<T>(IEnumerable<T> source)
    {
        using var e = source.GetEnumerator();
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            bool more = e.MoveNext();
            Ticks += Stopwatch.GetTimestamp() - t0;
            if (!more) yield break;
            Items++;
            yield return e.Current;
        }
    }

    public void Time(Action action)
    {
        long t0 = Stopwatch.GetTimestamp();
        action();
        Ticks += Stopwatch.GetTimestamp() - t0;
    }
}
