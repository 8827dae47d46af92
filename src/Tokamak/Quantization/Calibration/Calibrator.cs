using Tokamak.Models.Architectures;

namespace Tokamak.Quantization.Calibration;

/// <summary>Runs calibration samples through the normal forward pass with an observer attached.</summary>
public static class Calibrator
{
    /// <summary>Forwards every sample (fresh cache each) with <paramref name="observer"/> on <paramref name="model"/>.</summary>
    public static void Run(LlamaModel model, IReadOnlyList<int[]> samples, IActivationObserver observer)
    {
        int longest = samples.Max(s => s.Length);
        using var state = model.CreateState(longest, Math.Min(longest, 128));
        var previous = model.Observer;
        model.Observer = observer;
        try
        {
            foreach (var s in samples)
            {
                state.Reset();
                model.Forward(state, s);
            }
        }
        finally
        {
            model.Observer = previous;
        }
    }
}
