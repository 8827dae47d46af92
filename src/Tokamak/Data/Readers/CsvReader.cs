using System.Text;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Readers;

/// <summary>
/// RFC 4180 CSV: the first record is the header; fields may be quoted, quotes inside quoted fields are doubled,
/// and quoted fields may span lines (the original line break is kept). Every value is a string.
/// A stray quote inside an unquoted field is kept literally (as Python's csv module does).
/// </summary>
public sealed class CsvReader : IRecordReader
{
    private enum State { FieldStart, Unquoted, Quoted, AfterQuote }

    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats)
    {
        var lines = new Utf8LineReader(stream);
        char delim = options.CsvDelimiter;
        string[]? header = null;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (lines.TryRead(out var first))
        {
            long start = first.Number;
            if (first.Text == null) { stats.Bad(options, source, start, "invalid UTF-8"); continue; }
            if (first.Text.Length == 0) continue;
            fields.Clear();
            field.Clear();
            var state = State.FieldStart;
            string? problem = null;
            var line = first;
            while (true)
            {
                string text = line.Text!;
                for (int i = 0; i < text.Length && problem == null; i++)
                {
                    char c = text[i];
                    switch (state)
                    {
                        case State.FieldStart:
                            if (c == '"') state = State.Quoted;
                            else if (c == delim) fields.Add("");
                            else { field.Append(c); state = State.Unquoted; }
                            break;
                        case State.Unquoted:
                            if (c == delim) { fields.Add(field.ToString()); field.Clear(); state = State.FieldStart; }
                            else field.Append(c);
                            break;
                        case State.Quoted:
                            if (c != '"') field.Append(c);
                            else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                            else state = State.AfterQuote;
                            break;
                        case State.AfterQuote:
                            if (c == delim) { fields.Add(field.ToString()); field.Clear(); state = State.FieldStart; }
                            else problem = $"unexpected character '{c}' after closing quote (line {line.Number})";
                            break;
                    }
                }
                if (problem != null || state != State.Quoted) break;
                // Inside quotes at end of line: the line break belongs to the field.
                if (!line.HasTerminator) { problem = "unterminated quoted field at end of file"; break; }
                field.Append(line.EndsWithCrLf ? "\r\n" : "\n");
                if (!lines.TryRead(out line)) { problem = "unterminated quoted field at end of file"; break; }
                if (line.Text == null) { problem = $"invalid UTF-8 (line {line.Number})"; break; }
            }
            if (problem != null) { stats.Bad(options, source, start, problem); continue; }
            fields.Add(field.ToString());

            if (header == null)
            {
                header = [.. fields];
                var seen = new HashSet<string>();
                foreach (var h in header)
                    if (!seen.Add(h)) throw new InvalidDataException($"{source}:{start}: duplicate CSV header column '{h}'");
                continue;
            }
            if (fields.Count != header.Length)
            {
                stats.Bad(options, source, start, $"expected {header.Length} fields, found {fields.Count}");
                continue;
            }
            var obj = new JsonObject();
            for (int k = 0; k < header.Length; k++) obj[header[k]] = fields[k];
            stats.Records++;
            yield return new RawRecord(source, start, obj);
        }
    }
}
