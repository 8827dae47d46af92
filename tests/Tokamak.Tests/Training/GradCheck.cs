namespace Tokamak.Tests.Training;

/// <summary>
/// Central finite differences against analytic gradients. Layers run in float32, so the scalar objective is summed in
/// double and the comparison uses a relative tolerance of ~1e-2 plus a small absolute floor scaled to the gradient's
/// largest entry (float rounding in the forward pass limits how well (f(x+h) − f(x−h)) / 2h can resolve tiny entries).
/// </summary>
internal static class GradCheck
{
    /// <summary>Random values in [-scale, scale).</summary>
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return a;
    }

    /// <summary>Σ y·w in double: the objective whose gradient w.r.t. y is w.</summary>
    public static double Weighted(ReadOnlySpan<float> y, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < w.Length; i++) s += (double)y[i] * w[i];
        return s;
    }

    /// <summary>
    /// Perturbs up to <paramref name="maxChecks"/> entries of <paramref name="x"/> (evenly spread) and compares the
    /// numeric derivative of <paramref name="objective"/> with <paramref name="analytic"/>.
    /// </summary>
    public static void Check(string what, float[] x, ReadOnlySpan<float> analytic, Func<double> objective,
        float h = 1e-2f, double rtol = 2e-2, double atolFraction = 2e-3, int maxChecks = 64)
    {
        Assert.Equal(x.Length, analytic.Length);
        double maxAbs = 0;
        foreach (float g in analytic) maxAbs = Math.Max(maxAbs, Math.Abs(g));
        double atol = Math.Max(1e-6, atolFraction * maxAbs);
        int stride = Math.Max(1, x.Length / maxChecks);
        int checkedCount = 0, nonZero = 0;
        for (int i = 0; i < x.Length; i += stride)
        {
            float orig = x[i];
            float xp = orig + h, xm = orig - h; // the step actually representable in float
            x[i] = xp; double fp = objective();
            x[i] = xm; double fm = objective();
            x[i] = orig;
            double numeric = (fp - fm) / ((double)xp - xm);
            double a = analytic[i];
            double err = Math.Abs(a - numeric);
            Assert.True(err <= rtol * Math.Max(Math.Abs(a), Math.Abs(numeric)) + atol,
                $"{what}[{i}]: analytic {a:G6} vs numeric {numeric:G6} (|diff| {err:G3}, atol {atol:G3})");
            checkedCount++;
            if (Math.Abs(numeric) > atol) nonZero++;
        }
        Assert.True(checkedCount > 0, $"{what}: nothing checked");
        // A check where every derivative is ~0 would pass trivially; insist on real signal.
        Assert.True(nonZero > 0, $"{what}: all {checkedCount} numeric derivatives are ~0, the check has no power");
    }
}
