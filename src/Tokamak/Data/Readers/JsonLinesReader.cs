using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Readers;

/// <summary>JSON Lines: one JSON object per line; blank lines are ignored.</summary>
public sealed class JsonLinesReader : IRecordReader
{
    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats)
    {
        var lines = new Utf8LineReader(stream);
        while (lines.TryRead(out var line))
        {
            if (line.Text == null) { stats.Bad(options, source, line.Number, "invalid UTF-8"); continue; }
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            JsonNode? node;
            string? problem = null;
            try { node = JsonNode.Parse(line.Text, documentOptions: JsonRecordParsing.Document); }
            catch (JsonException ex) { node = null; problem = $"invalid JSON: {ex.Message}"; }
            if (problem == null && node is not JsonObject) problem = "expected a JSON object";
            if (problem != null) { stats.Bad(options, source, line.Number, problem); continue; }
            stats.Records++;
            yield return new RawRecord(source, line.Number, (JsonObject)node!);
        }
    }
}
