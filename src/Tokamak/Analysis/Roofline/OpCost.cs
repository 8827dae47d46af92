namespace Tokamak.Analysis.Roofline;

/// <summary>The work of one op kind in one forward step.</summary>
/// <param name="Op">Which op.</param>
/// <param name="Flops">Floating-point (or integer) operations; a multiply-add counts 2.</param>
/// <param name="Bytes">Bytes the op must move to or from memory (weights once per step, activations, KV reads).</param>
/// <param name="IntegerMath">Whether the engine runs it with int8 dot products (quantized-weight decode matvecs).</param>
public readonly record struct OpCost(OpKind Op, double Flops, double Bytes, bool IntegerMath)
{
    /// <summary>FLOPs per byte (0 for ops that do no arithmetic).</summary>
    public double ArithmeticIntensity => Bytes > 0 ? Flops / Bytes : 0;

    /// <summary>The roofline's lower bound on this op's time: max(compute time, memory time).</summary>
    public double PredictedSeconds(MachinePeaks peaks)
    {
        double peak = IntegerMath && peaks.Int8GOps > 0 ? peaks.Int8GOps : peaks.Fp32GFlops;
        return Math.Max(Flops / (peak * 1e9), Bytes / (peaks.BandwidthGBs * 1e9));
    }

    /// <summary>The attainable GFLOP/s at this op's arithmetic intensity.</summary>
    public double AttainableGFlops(MachinePeaks peaks) =>
        MachinePeaks.Attainable(IntegerMath && peaks.Int8GOps > 0 ? peaks.Int8GOps : peaks.Fp32GFlops, peaks.BandwidthGBs, ArithmeticIntensity);
}
