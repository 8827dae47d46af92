using System.Text;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Readers;

/// <summary>Plain text for pretraining: a document per line or per blank-line-separated paragraph (see <see cref="TextSplit"/>).</summary>
public sealed class PlainTextReader : IRecordReader
{
    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats)
    {
        var lines = new Utf8LineReader(stream);
        var paragraph = new StringBuilder();
        long paragraphStart = 0;
        bool paragraphBad = false;
        while (lines.TryRead(out var line))
        {
            bool blank = line.Text != null && string.IsNullOrWhiteSpace(line.Text);
            if (options.TextSplit == TextSplit.Line)
            {
                if (line.Text == null) { stats.Bad(options, source, line.Number, "invalid UTF-8"); continue; }
                if (blank) continue;
                stats.Records++;
                yield return Make(source, line.Number, line.Text, options);
                continue;
            }
            if (blank)
            {
                if (paragraphStart > 0 && !paragraphBad) { stats.Records++; yield return Make(source, paragraphStart, paragraph.ToString(), options); }
                paragraph.Clear();
                paragraphStart = 0;
                paragraphBad = false;
                continue;
            }
            if (paragraphStart == 0) paragraphStart = line.Number;
            if (line.Text == null)
            {
                if (!paragraphBad) stats.Bad(options, source, line.Number, "invalid UTF-8 (paragraph dropped)");
                paragraphBad = true;
                continue;
            }
            if (paragraph.Length > 0) paragraph.Append('\n');
            paragraph.Append(line.Text);
        }
        if (paragraphStart > 0 && !paragraphBad) { stats.Records++; yield return Make(source, paragraphStart, paragraph.ToString(), options); }
    }

    private static RawRecord Make(string source, long line, string text, ReaderOptions options) =>
        new(source, line, new JsonObject { [options.TextField] = text });
}
