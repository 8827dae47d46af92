using System.Text.Json.Nodes;

namespace Tokamak.Data.Formats;

/// <summary>
/// Turns raw records of one dataset into <see cref="UnifiedExample"/>s, dropping invalid records with a reason
/// counted under the "convert" stage of the report.
/// </summary>
public sealed class ExampleConverter
{
    /// <summary>Stage name used in the report.</summary>
    public const string StageName = "convert";

    private readonly DatasetInfo _info;
    private readonly DataReport _report;
    private readonly FieldLookup _lookup;
    private readonly ExampleKind _kind;

    /// <summary>Creates a converter for <paramref name="info"/>'s layout.</summary>
    public ExampleConverter(DatasetInfo info, DataReport report, FieldAliases? aliases = null, ExampleKind kind = ExampleKind.Conversation)
    {
        _info = info;
        _report = report;
        _kind = kind;
        _lookup = new FieldLookup(aliases ?? FieldAliases.None, report);
    }

    /// <summary>The unified example, or null when the record was dropped (reason counted in the report).</summary>
    public UnifiedExample? Convert(RawRecord record)
    {
        var result = _kind == ExampleKind.Pretraining ? Pretraining(record.Fields)
            : _info.Formatting == DatasetFormat.Alpaca ? AlpacaConverter.Convert(record.Fields, _info, _lookup)
            : ShareGptConverter.Convert(record.Fields, _info, _lookup);
        if (result.Example == null)
        {
            _report.Drop(StageName, result.DropReason!);
            return null;
        }
        _report.Pass(StageName);
        var e = result.Example;
        return new UnifiedExample
        {
            System = e.System, Tools = e.Tools, Turns = e.Turns, Chosen = e.Chosen, Rejected = e.Rejected,
            Content = e.Content, Origin = record.Location,
        };
    }

    /// <summary>Lazily converts a stream of records, skipping dropped ones.</summary>
    public IEnumerable<UnifiedExample> ConvertAll(IEnumerable<RawRecord> records)
    {
        foreach (var r in records)
            if (Convert(r) is { } e) yield return e;
    }

    private ConversionResult Pretraining(JsonObject r)
    {
        var column = _info.Columns.PromptExplicit ? _info.Columns.Prompt : "text";
        if (!_lookup.TryGetString(r, column, out var text) || string.IsNullOrWhiteSpace(text))
            return ConversionResult.Drop(DropReasons.MissingText);
        return ConversionResult.Ok(new UnifiedExample { Content = text });
    }
}
