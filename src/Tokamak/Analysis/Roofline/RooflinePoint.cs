namespace Tokamak.Analysis.Roofline;

/// <summary>One op placed on the roofline: its arithmetic intensity and the throughput it achieved.</summary>
/// <param name="Series">Which run it belongs to (e.g. "decode b1").</param>
/// <param name="Op">The op.</param>
/// <param name="FlopsPerByte">Arithmetic intensity.</param>
/// <param name="AchievedGFlops">Analytic FLOPs ÷ measured time.</param>
/// <param name="AttainableGFlops">The roofline's limit at that intensity.</param>
/// <param name="Seconds">Measured time per step.</param>
public sealed record RooflinePoint(string Series, OpKind Op, double FlopsPerByte, double AchievedGFlops, double AttainableGFlops, double Seconds)
{
    /// <summary>Achieved ÷ attainable.</summary>
    public double FractionOfAttainable => AttainableGFlops > 0 ? AchievedGFlops / AttainableGFlops : 0;

    /// <summary>
    /// Places every op of <paramref name="m"/> that does arithmetic (the embedding lookup does none and cannot sit
    /// on a log axis) using the analytic <paramref name="costs"/>.
    /// </summary>
    public static IEnumerable<RooflinePoint> From(StepMeasurement m, OpCost[] costs, MachinePeaks peaks)
    {
        foreach (var c in costs)
        {
            double s = m.OpSeconds[(int)c.Op];
            if (c.Flops <= 0 || s <= 0) continue;
            yield return new RooflinePoint(m.Workload.Name, c.Op, c.ArithmeticIntensity, c.Flops / s / 1e9, c.AttainableGFlops(peaks), s);
        }
    }
}
