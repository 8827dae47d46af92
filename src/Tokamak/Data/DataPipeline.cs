using Tokamak.Data.Filters;
using Tokamak.Data.Formats;
using Tokamak.Data.Readers;

namespace Tokamak.Data;

/// <summary>
/// Read → convert → filter. Per-example filters run while streaming; whole-set filters (boilerplate frequencies,
/// perplexity percentiles) need the surviving examples in memory, so the stream is buffered only when one is enabled.
/// Every stage counts kept/dropped examples in the <see cref="DataReport"/>.
/// </summary>
public sealed class DataPipeline
{
    private readonly IReadOnlyList<IExampleFilter> _filters;
    private readonly IReadOnlyList<IBatchFilter> _batch;

    /// <summary>A pipeline running the given filters in order.</summary>
    public DataPipeline(IReadOnlyList<IExampleFilter> filters, IReadOnlyList<IBatchFilter>? batchFilters = null)
    {
        _filters = filters;
        _batch = batchFilters ?? [];
    }

    /// <summary>A pipeline with the filters <paramref name="options"/> switches on.</summary>
    public static DataPipeline FromOptions(QualityOptions options)
    {
        var (s, b) = options.Build();
        return new DataPipeline(s, b);
    }

    /// <summary>Filters converted examples; lazily unless a whole-set filter is configured. Sets <see cref="DataReport.Kept"/> as it goes.</summary>
    public IEnumerable<UnifiedExample> Filter(IEnumerable<UnifiedExample> examples, DataReport report)
    {
        var streamed = Streaming(examples, report);
        if (_batch.Count == 0)
        {
            foreach (var e in streamed) { report.Kept++; yield return e; }
            yield break;
        }
        var survivors = streamed.ToList();
        foreach (var f in _batch)
        {
            var verdicts = f.Evaluate(survivors);
            if (verdicts.Count != survivors.Count) throw new InvalidOperationException($"filter {f.Name} returned {verdicts.Count} verdicts for {survivors.Count} examples");
            var next = new List<UnifiedExample>(survivors.Count);
            for (int i = 0; i < survivors.Count; i++)
            {
                if (verdicts[i] is { } reason) report.Drop(f.Name, reason);
                else { report.Pass(f.Name); next.Add(survivors[i]); }
            }
            survivors = next;
        }
        foreach (var e in survivors) { report.Kept++; yield return e; }
    }

    /// <summary>Converts and filters raw records.</summary>
    public IEnumerable<UnifiedExample> Process(IEnumerable<RawRecord> records, ExampleConverter converter, DataReport report) =>
        Filter(converter.ConvertAll(Counted(records, report)), report);

    /// <summary>
    /// Runs one registry entry end to end: streams its file from <paramref name="datasetDir"/>, converts, filters.
    /// Reader counts land in the report when the file has been read through.
    /// </summary>
    public IEnumerable<UnifiedExample> ProcessDataset(DatasetInfo info, string datasetDir, DataReport report,
        ReaderOptions? readerOptions = null, FieldAliases? aliases = null, ExampleKind kind = ExampleKind.Conversation)
    {
        var path = info.ResolvePath(datasetDir);
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Order(StringComparer.Ordinal).ToList()
            : [path];
        var stats = new ReaderStats();
        var options = readerOptions ?? new ReaderOptions();
        IEnumerable<RawRecord> Records()
        {
            foreach (var f in files)
                foreach (var r in RecordReaders.ReadFile(f, options, stats)) yield return r;
            report.ReaderSkipped += stats.Skipped;
            report.ReaderErrors.AddRange(stats.Errors);
        }
        var converted = new ExampleConverter(info, report, aliases, kind).ConvertAll(Counted(Records(), report));
        if (info.NumSamples is { } n) converted = converted.Take(checked((int)Math.Min(n, int.MaxValue)));
        return Filter(converted, report);
    }

    private IEnumerable<UnifiedExample> Streaming(IEnumerable<UnifiedExample> examples, DataReport report)
    {
        foreach (var e in examples)
        {
            bool keep = true;
            foreach (var f in _filters)
            {
                if (f.Check(e) is { } reason) { report.Drop(f.Name, reason); keep = false; break; }
                report.Pass(f.Name);
            }
            if (keep) yield return e;
        }
    }

    private static IEnumerable<RawRecord> Counted(IEnumerable<RawRecord> records, DataReport report)
    {
        foreach (var r in records) { report.RecordsRead++; yield return r; }
    }
}
