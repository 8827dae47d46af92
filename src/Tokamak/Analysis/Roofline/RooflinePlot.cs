using ScottPlot;
using ScottPlot.TickGenerators;

namespace Tokamak.Analysis.Roofline;

/// <summary>
/// Draws the roofline with ScottPlot: log-log axes of arithmetic intensity (FLOP/byte) against GFLOP/s, the
/// bandwidth slope, the fp32 and int8 compute ceilings, and one filled circle per placed op, coloured by series.
/// </summary>
public static class RooflinePlot
{
    /// <summary>Builds the plot (ScottPlot has no log axis, so it plots log10 values with log-style ticks).</summary>
    public static Plot Build(MachinePeaks peaks, IReadOnlyList<RooflinePoint> points, string title)
    {
        var plt = new Plot();
        double minAi = Math.Min(0.01, points.Count > 0 ? points.Min(p => p.FlopsPerByte) / 2 : 0.01);
        double maxAi = Math.Max(1000, points.Count > 0 ? points.Max(p => p.FlopsPerByte) * 2 : 1000);
        double top = Math.Max(peaks.Fp32GFlops, peaks.Int8GOps);

        var bw = plt.Add.Line(Math.Log10(minAi), Math.Log10(peaks.BandwidthGBs * minAi), Math.Log10(peaks.RidgePoint), Math.Log10(peaks.Fp32GFlops));
        bw.LineWidth = 2;
        bw.Color = Colors.Black;
        var fp = plt.Add.Line(Math.Log10(peaks.RidgePoint), Math.Log10(peaks.Fp32GFlops), Math.Log10(maxAi), Math.Log10(peaks.Fp32GFlops));
        fp.LineWidth = 2;
        fp.Color = Colors.Black;
        plt.Add.Text($"DRAM {peaks.BandwidthGBs:F0} GB/s", Math.Log10(minAi) + 0.1, Math.Log10(peaks.BandwidthGBs * minAi) + 0.35).LabelFontSize = 11;
        plt.Add.Text($"fp32 FMA {peaks.Fp32GFlops:F0} GFLOP/s", Math.Log10(peaks.RidgePoint) + 0.1, Math.Log10(peaks.Fp32GFlops) + 0.12).LabelFontSize = 11;
        if (peaks.Int8GOps > 0)
        {
            double ridge8 = peaks.Int8GOps / peaks.BandwidthGBs;
            var i8 = plt.Add.Line(Math.Log10(ridge8), Math.Log10(peaks.Int8GOps), Math.Log10(maxAi), Math.Log10(peaks.Int8GOps));
            i8.LinePattern = LinePattern.Dashed;
            i8.Color = Colors.Gray;
            plt.Add.Text($"int8 dot {peaks.Int8GOps:F0} GOP/s", Math.Log10(ridge8) + 0.1, Math.Log10(peaks.Int8GOps) + 0.12).LabelFontSize = 11;
        }

        var palette = new ScottPlot.Palettes.Category10();
        var series = points.Select(p => p.Series).Distinct().ToList();
        for (int si = 0; si < series.Count; si++)
        {
            var pts = points.Where(p => p.Series == series[si]).ToList();
            var sc = plt.Add.ScatterPoints(pts.Select(p => Math.Log10(p.FlopsPerByte)).ToArray(), pts.Select(p => Math.Log10(p.AchievedGFlops)).ToArray());
            sc.MarkerShape = MarkerShape.FilledCircle;
            sc.MarkerSize = 9;
            sc.Color = palette.GetColor(si);
            foreach (var p in pts)
            {
                var label = plt.Add.Text(p.Op.ToString(), Math.Log10(p.FlopsPerByte) + 0.04, Math.Log10(p.AchievedGFlops));
                label.LabelFontSize = 9;
                label.LabelFontColor = palette.GetColor(si);
            }
            var key = plt.Add.Text(series[si], Math.Log10(minAi) + 0.1, Math.Log10(top) - 0.25 * (si + 1) + 0.6);
            key.LabelFontColor = palette.GetColor(si);
            key.LabelFontSize = 12;
        }

        static string Pow10(double v) => Math.Pow(10, v) is var x && x >= 1 ? x.ToString("0") : x.ToString("0.###");
        plt.Axes.Bottom.TickGenerator = new NumericAutomatic { MinorTickGenerator = new LogMinorTickGenerator(), IntegerTicksOnly = true, LabelFormatter = Pow10 };
        plt.Axes.Left.TickGenerator = new NumericAutomatic { MinorTickGenerator = new LogMinorTickGenerator(), IntegerTicksOnly = true, LabelFormatter = Pow10 };
        plt.Axes.SetLimits(Math.Log10(minAi), Math.Log10(maxAi), Math.Log10(Math.Max(1e-3, points.Count > 0 ? points.Min(p => p.AchievedGFlops) / 3 : 0.1)), Math.Log10(top) + 0.8);
        plt.XLabel("arithmetic intensity (FLOP/byte)");
        plt.YLabel("GFLOP/s");
        plt.Title(title);
        return plt;
    }

    /// <summary>Writes <c>roofline.png</c> and <c>roofline.svg</c> into <paramref name="dir"/>; returns both paths.</summary>
    public static (string Png, string Svg) Save(MachinePeaks peaks, IReadOnlyList<RooflinePoint> points, string title, string dir, int width = 1000, int height = 700)
    {
        Directory.CreateDirectory(dir);
        var plt = Build(peaks, points, title);
        string png = Path.Combine(dir, "roofline.png"), svg = Path.Combine(dir, "roofline.svg");
        plt.SavePng(png, width, height);
        plt.SaveSvg(svg, width, height);
        return (png, svg);
    }
}
