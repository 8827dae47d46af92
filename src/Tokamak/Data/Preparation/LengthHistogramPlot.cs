using ScottPlot;

namespace Tokamak.Data.Preparation;

/// <summary>Length histograms of a prepared dataset as PNG (ScottPlot, headless).</summary>
public static class LengthHistogramPlot
{
    /// <summary>Bin counts over [0, max] in <paramref name="bins"/> equal bins; returns (bin width, counts).</summary>
    public static (double Width, long[] Counts) Bin(IReadOnlyList<int> lengths, int bins = 50)
    {
        if (lengths.Count == 0) throw new ArgumentException("no lengths to bin");
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        int max = lengths.Max();
        double width = Math.Max(1.0, Math.Ceiling((max + 1) / (double)bins));
        var counts = new long[(int)Math.Ceiling((max + 1) / width)];
        foreach (var l in lengths) counts[(int)(Math.Max(0, l) / width)]++;
        return (width, counts);
    }

    /// <summary>Draws the histogram of <paramref name="lengths"/> and saves it to <paramref name="path"/>; returns the path.</summary>
    public static string Save(IReadOnlyList<int> lengths, string title, string unit, string path, int width = 900, int height = 500)
    {
        var (w, counts) = Bin(lengths);
        var plt = new Plot();
        var bars = plt.Add.Bars(Enumerable.Range(0, counts.Length).Select(i => (i + 0.5) * w).ToArray(), counts.Select(c => (double)c).ToArray());
        foreach (var b in bars.Bars) { b.Size = w; b.LineWidth = 0; }
        plt.Title(title);
        plt.XLabel(unit);
        plt.YLabel("count");
        plt.Axes.Margins(bottom: 0);
        plt.SavePng(path, width, height);
        return path;
    }
}
