namespace Tokamak.Data.Filters;

/// <summary>Percentiles with linear interpolation between closest ranks (numpy's default method).</summary>
public static class Percentile
{
    /// <summary>The <paramref name="p"/>-th percentile (0..100) of <paramref name="values"/>.</summary>
    public static double Of(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) throw new ArgumentException("percentile of an empty list");
        if (p is < 0 or > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "percentile must be in [0, 100]");
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double pos = p / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
