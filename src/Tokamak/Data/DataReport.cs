using System.Text;
using System.Text.Json;

namespace Tokamak.Data;

/// <summary>Examples that entered one pipeline stage and how many it kept or dropped.</summary>
public sealed class StageCount
{
    /// <summary>Stage name ("convert", "exact_dedup", ...).</summary>
    public required string Name { get; init; }
    /// <summary>Examples the stage let through.</summary>
    public long Kept { get; internal set; }
    /// <summary>Examples the stage removed.</summary>
    public long Dropped { get; internal set; }
}

/// <summary>
/// Everything the data pipeline counted: records read and skipped, per-stage kept/dropped, drops per reason, and
/// which field-name variant (alias) each record used. Written as JSON and as a text table.
/// </summary>
public sealed class DataReport
{
    private readonly List<StageCount> _stages = [];

    /// <summary>Raw records produced by the readers.</summary>
    public long RecordsRead { get; set; }

    /// <summary>Malformed lines/rows the readers skipped.</summary>
    public long ReaderSkipped { get; set; }

    /// <summary>The first reader skip messages ("file:line: problem").</summary>
    public List<string> ReaderErrors { get; } = [];

    /// <summary>Examples written out at the end.</summary>
    public long Kept { get; internal set; }

    /// <summary>Drops per reason code (see <see cref="DropReasons"/>).</summary>
    public SortedDictionary<string, long> Dropped { get; } = new(StringComparer.Ordinal);

    /// <summary>Stages in the order they ran.</summary>
    public IReadOnlyList<StageCount> Stages => _stages;

    /// <summary>Other counts: augmentation ("paraphrased.summarize"), written output ("written_examples", "written_tokens"), length percentiles.</summary>
    public SortedDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    /// <summary>Per-stage throughput of the run, in pipeline order (empty unless the caller timed the stages).</summary>
    public List<StageThroughput> Throughput { get; } = [];

    /// <summary>Configured column → the field name actually found in records → how many records used it.</summary>
    public SortedDictionary<string, SortedDictionary<string, long>> FieldVariants { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts one example kept by <paramref name="stage"/>.</summary>
    public void Pass(string stage) => Stage(stage).Kept++;

    /// <summary>Counts one example dropped by <paramref name="stage"/> for <paramref name="reason"/>.</summary>
    public void Drop(string stage, string reason)
    {
        Stage(stage).Dropped++;
        Dropped[reason] = Dropped.GetValueOrDefault(reason) + 1;
    }

    /// <summary>Counts a record that found <paramref name="column"/> under the name <paramref name="usedName"/>.</summary>
    public void CountVariant(string column, string usedName)
    {
        if (!FieldVariants.TryGetValue(column, out var m)) FieldVariants[column] = m = new(StringComparer.Ordinal);
        m[usedName] = m.GetValueOrDefault(usedName) + 1;
    }

    /// <summary>The counters of <paramref name="name"/>, created on first use.</summary>
    public StageCount Stage(string name)
    {
        foreach (var s in _stages) if (s.Name == name) return s;
        var created = new StageCount { Name = name };
        _stages.Add(created);
        return created;
    }

    /// <summary>Machine-readable report.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("records_read", RecordsRead);
            w.WriteNumber("reader_skipped", ReaderSkipped);
            w.WriteNumber("kept", Kept);
            w.WriteStartArray("stages");
            foreach (var s in _stages)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteNumber("kept", s.Kept);
                w.WriteNumber("dropped", s.Dropped);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("dropped");
            foreach (var (k, v) in Dropped) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteStartObject("field_variants");
            foreach (var (col, m) in FieldVariants)
            {
                w.WriteStartObject(col);
                foreach (var (k, v) in m) w.WriteNumber(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("counters");
            foreach (var (k, v) in Counters) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteStartArray("throughput");
            foreach (var t in Throughput)
            {
                w.WriteStartObject();
                w.WriteString("stage", t.Stage);
                w.WriteNumber("records", t.Records);
                w.WriteNumber("seconds", Math.Round(t.Seconds, 4));
                w.WriteNumber("records_per_second", Math.Round(t.RecordsPerSecond, 1));
                w.WriteNumber("mb_per_second", Math.Round(t.MegabytesPerSecond, 2));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("reader_errors");
            foreach (var e in ReaderErrors) w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Human-readable report: a stage table, then drop reasons and field variants.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"records read: {RecordsRead}   reader skipped: {ReaderSkipped}   kept: {Kept}");
        sb.AppendLine();
        int w = Math.Max(5, _stages.Select(s => s.Name.Length).DefaultIfEmpty(0).Max());
        sb.AppendLine($"{"stage".PadRight(w)}  {"kept",10}  {"dropped",10}");
        sb.AppendLine(new string('-', w + 24));
        foreach (var s in _stages) sb.AppendLine($"{s.Name.PadRight(w)}  {s.Kept,10}  {s.Dropped,10}");
        if (Dropped.Count > 0)
        {
            sb.AppendLine();
            int rw = Math.Max(6, Dropped.Keys.Max(k => k.Length));
            sb.AppendLine($"{"reason".PadRight(rw)}  {"count",10}");
            sb.AppendLine(new string('-', rw + 12));
            foreach (var (k, v) in Dropped) sb.AppendLine($"{k.PadRight(rw)}  {v,10}");
        }
        if (FieldVariants.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("field variants used:");
            foreach (var (col, m) in FieldVariants)
                sb.AppendLine($"  {col}: {string.Join(", ", m.Select(p => $"{p.Key}={p.Value}"))}");
        }
        if (Counters.Count > 0)
        {
            sb.AppendLine();
            foreach (var (k, v) in Counters) sb.AppendLine($"{k}: {v}");
        }
        if (Throughput.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"{"stage",-10}  {"records",10}  {"seconds",9}  {"records/s",11}  {"MB/s",8}");
            foreach (var t in Throughput)
                sb.AppendLine($"{t.Stage,-10}  {t.Records,10}  {t.Seconds,9:F2}  {t.RecordsPerSecond,11:F0}  {t.MegabytesPerSecond,8:F1}");
        }
        if (ReaderErrors.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("reader errors (first ones):");
            foreach (var e in ReaderErrors) sb.AppendLine("  " + e);
        }
        return sb.ToString();
    }
}

/// <summary>Time spent in one pipeline stage (excluding the stages feeding it) and what passed through it.</summary>
/// <param name="Stage">Stage name.</param>
/// <param name="Records">Records the stage consumed.</param>
/// <param name="Bytes">Input bytes attributed to the stage (the dataset size for every stage, so MB/s compare).</param>
/// <param name="Seconds">Seconds spent in the stage itself.</param>
public sealed record StageThroughput(string Stage, long Records, long Bytes, double Seconds)
{
    /// <summary>Records per second of stage time.</summary>
    public double RecordsPerSecond => Seconds > 0 ? Records / Seconds : 0;

    /// <summary>Input megabytes (10^6 bytes) per second of stage time.</summary>
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / 1e6 / Seconds : 0;
}
