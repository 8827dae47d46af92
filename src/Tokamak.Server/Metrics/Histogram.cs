using System.Globalization;
using System.Text;

namespace Tokamak.Server.Metrics;

/// <summary>A Prometheus histogram with fixed upper bounds (seconds), safe to observe from many threads.</summary>
internal sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts; // [bounds + 1], the last is +Inf
    private double _sum;
    private readonly Lock _lock = new();

    public Histogram(string name, string help, double[] bounds)
    {
        Name = name;
        Help = help;
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public string Name { get; }
    public string Help { get; }

    public void Observe(double value)
    {
        int i = 0;
        while (i < _bounds.Length && value > _bounds[i]) i++;
        lock (_lock)
        {
            _counts[i]++;
            _sum += value;
        }
    }

    public long Count
    {
        get { lock (_lock) return _counts.Sum(); }
    }

    public void WriteTo(StringBuilder sb)
    {
        long[] counts;
        double sum;
        lock (_lock)
        {
            counts = (long[])_counts.Clone();
            sum = _sum;
        }
        sb.Append("# HELP ").Append(Name).Append(' ').Append(Help).Append('\n');
        sb.Append("# TYPE ").Append(Name).Append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < _bounds.Length; i++)
        {
            cumulative += counts[i];
            sb.Append(Name).Append("_bucket{le=\"").Append(_bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += counts[^1];
        sb.Append(Name).Append("_bucket{le=\"+Inf\"} ").Append(cumulative).Append('\n');
        sb.Append(Name).Append("_sum ").Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append(Name).Append("_count ").Append(cumulative).Append('\n');
    }
}
