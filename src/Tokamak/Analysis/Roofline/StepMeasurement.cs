using System.Diagnostics;
using Tokamak.Models.Architectures;

namespace Tokamak.Analysis.Roofline;

/// <summary>Measured wall time of one forward step, in total and per op (from <see cref="OpProfiler"/>).</summary>
/// <param name="Workload">What was run.</param>
/// <param name="Seconds">Mean wall time of one step.</param>
/// <param name="OpSeconds">Mean time per step charged to each <see cref="OpKind"/> (indexed by the enum).</param>
public sealed record StepMeasurement(Workload Workload, double Seconds, double[] OpSeconds)
{
    /// <summary>New tokens per second.</summary>
    public double TokensPerSecond => Workload.Tokens / Seconds;

    /// <summary>
    /// Runs <paramref name="w"/> on <paramref name="model"/> <paramref name="repeats"/> times (after one warm-up)
    /// with the profiler attached. Sequences run one after another on one <see cref="SequenceState"/>; the cached
    /// context is random tokens and is prefilled once, outside the timing.
    /// </summary>
    public static StepMeasurement Run(LlamaModel model, Workload w, int repeats = 3)
    {
        if (repeats < 1) throw new ArgumentException($"repeats must be at least 1, got {repeats}");
        int per = w.TokensPerSequence;
        if (w.Context + per > model.Config.MaxPositions)
            throw new ArgumentException($"{w.Name}: context {w.Context} + {per} new tokens exceed the model's {model.Config.MaxPositions} positions");
        var rng = new Random(1234);
        var context = new int[w.Context];
        var fresh = new int[per];
        for (int i = 0; i < context.Length; i++) context[i] = rng.Next(model.Config.VocabSize);
        for (int i = 0; i < fresh.Length; i++) fresh[i] = rng.Next(model.Config.VocabSize);
        var logits = w.AllLogits ? new float[(long)per * model.Config.VocabSize] : null;
        using var state = model.CreateState(w.Context + per, Math.Max(per, 1));
        if (context.Length > 0) model.Forward(state, context);

        var previous = model.Profiler;
        var prof = new OpProfiler();
        model.Profiler = prof;
        try
        {
            double total = 0;
            for (int r = -1; r < repeats; r++)
            {
                if (r == 0) prof.Reset(); // the first pass warms caches and the JIT
                var sw = Stopwatch.StartNew();
                for (int sq = 0; sq < w.Sequences; sq++)
                {
                    state.Truncate(w.Context);
                    model.Forward(state, fresh, logits);
                }
                if (r >= 0) total += sw.Elapsed.TotalSeconds;
            }
            var ops = Enum.GetValues<OpKind>().Select(op => prof.Seconds(op) / repeats).ToArray();
            return new StepMeasurement(w, total / repeats, ops);
        }
        finally
        {
            model.Profiler = previous;
        }
    }
}
