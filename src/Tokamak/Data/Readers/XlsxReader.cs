using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;

namespace Tokamak.Data.Readers;

/// <summary>
/// Excel .xlsx (an OOXML zip): reads the shared-string table and the workbook's first worksheet with
/// <see cref="XmlReader"/>; the first non-empty row is the header, later rows become objects of strings keyed by it.
/// Record line numbers are sheet row numbers. Numbers are kept as their stored text; dates are not converted.
/// </summary>
public sealed class XlsxReader : IRecordReader
{
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{source}: not an .xlsx file (bad zip: {ex.Message})", ex); }
        using (zip)
        {
            var shared = ReadSharedStrings(zip, source);
            var sheet = FirstSheetPath(zip) is { } p ? zip.GetEntry(p) : null;
            sheet ??= zip.GetEntry("xl/worksheets/sheet1.xml")
                ?? throw new InvalidDataException($"{source}: .xlsx has no worksheet (xl/worksheets/sheet1.xml missing)");
            foreach (var r in ReadSheet(sheet, shared, source, options, stats)) yield return r;
        }
    }

    private static XmlReader OpenXml(ZipArchiveEntry entry) =>
        XmlReader.Create(entry.Open(), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = false, CloseInput = true });

    /// <summary>Resolves the first &lt;sheet&gt; of xl/workbook.xml through xl/_rels/workbook.xml.rels.</summary>
    private static string? FirstSheetPath(ZipArchive zip)
    {
        var wb = zip.GetEntry("xl/workbook.xml");
        var rels = zip.GetEntry("xl/_rels/workbook.xml.rels");
        if (wb == null || rels == null) return null;
        string? rid = null;
        using (var x = OpenXml(wb))
            while (x.Read())
                if (x.NodeType == XmlNodeType.Element && x.LocalName == "sheet") { rid = x.GetAttribute("id", RelNs); break; }
        if (rid == null) return null;
        using (var x = OpenXml(rels))
            while (x.Read())
                if (x.NodeType == XmlNodeType.Element && x.LocalName == "Relationship" && x.GetAttribute("Id") == rid)
                {
                    var target = x.GetAttribute("Target");
                    if (target == null) return null;
                    return target.StartsWith('/') ? target[1..] : "xl/" + target;
                }
        return null;
    }

    /// <summary>Each &lt;si&gt; is the concatenation of its &lt;t&gt; runs, skipping phonetic (&lt;rPh&gt;) hints.</summary>
    private static List<string> ReadSharedStrings(ZipArchive zip, string source)
    {
        var list = new List<string>();
        var entry = zip.GetEntry("xl/sharedStrings.xml");
        if (entry == null) return list;
        using var x = OpenXml(entry);
        var sb = new StringBuilder();
        int phonetic = 0;
        try
        {
            while (!x.EOF)
            {
                if (x.NodeType == XmlNodeType.Element)
                {
                    if (x.LocalName == "si") { sb.Clear(); if (x.IsEmptyElement) list.Add(""); }
                    else if (x.LocalName == "rPh" && !x.IsEmptyElement) phonetic++;
                    else if (x.LocalName == "t" && phonetic == 0) { sb.Append(x.ReadElementContentAsString()); continue; }
                }
                else if (x.NodeType == XmlNodeType.EndElement)
                {
                    if (x.LocalName == "si") list.Add(sb.ToString());
                    else if (x.LocalName == "rPh") phonetic--;
                }
                x.Read();
            }
        }
        catch (XmlException ex) { throw new InvalidDataException($"{source}: malformed xl/sharedStrings.xml: {ex.Message}", ex); }
        return list;
    }

    private static IEnumerable<RawRecord> ReadSheet(ZipArchiveEntry entry, List<string> shared, string source, ReaderOptions options, ReaderStats stats)
    {
        using var x = OpenXml(entry);
        string?[]? header = null;
        var cells = new SortedDictionary<int, string>();
        long rowNumber = 0;
        int col = -1;
        string? cellType = null, value = null;
        var inline = new StringBuilder();
        bool inInline = false;
        string? rowProblem = null;
        while (true)
        {
            RawRecord? emit = null;
            try
            {
                if (x.EOF) break;
                if (x.NodeType == XmlNodeType.Element)
                {
                    switch (x.LocalName)
                    {
                        case "row":
                            rowNumber = long.TryParse(x.GetAttribute("r"), out var rn) ? rn : rowNumber + 1;
                            cells.Clear();
                            col = -1;
                            rowProblem = null;
                            if (x.IsEmptyElement) { x.Read(); continue; }
                            break;
                        case "c":
                            var reference = x.GetAttribute("r");
                            col = reference != null ? ColumnIndex(reference, source, rowNumber) : col + 1;
                            cellType = x.GetAttribute("t");
                            value = null;
                            inline.Clear();
                            if (x.IsEmptyElement) { x.Read(); continue; }
                            break;
                        case "v":
                            value = x.ReadElementContentAsString();
                            continue;
                        case "is":
                            inInline = !x.IsEmptyElement;
                            break;
                        case "t" when inInline:
                            inline.Append(x.ReadElementContentAsString());
                            continue;
                    }
                }
                else if (x.NodeType == XmlNodeType.EndElement)
                {
                    switch (x.LocalName)
                    {
                        case "is": inInline = false; break;
                        case "c":
                            try { cells[col] = CellText(cellType, value, inline.ToString(), shared); }
                            catch (FormatException ex) { rowProblem ??= ex.Message; }
                            break;
                        case "row":
                            if (rowProblem != null) stats.Bad(options, source, rowNumber, rowProblem);
                            else if (header == null)
                            {
                                if (cells.Count > 0) header = MakeHeader(cells, source, rowNumber);
                            }
                            else if (cells.Values.Any(v => v.Length > 0))
                            {
                                var obj = new JsonObject();
                                for (int k = 0; k < header.Length; k++)
                                    if (header[k] is { } name) obj[name] = cells.TryGetValue(k, out var v) ? v : "";
                                emit = new RawRecord(source, rowNumber, obj);
                            }
                            break;
                    }
                }
                x.Read();
            }
            catch (XmlException ex) { throw new InvalidDataException($"{source}: malformed worksheet XML (row {rowNumber}): {ex.Message}", ex); }
            if (emit != null) { stats.Records++; yield return emit; }
        }
    }

    private static string?[] MakeHeader(SortedDictionary<int, string> cells, string source, long row)
    {
        var header = new string?[cells.Keys.Max() + 1];
        var seen = new HashSet<string>();
        foreach (var (k, v) in cells)
        {
            if (v.Length == 0) continue;
            if (!seen.Add(v)) throw new InvalidDataException($"{source}:{row}: duplicate header column '{v}'");
            header[k] = v;
        }
        return header;
    }

    private static string CellText(string? type, string? value, string inline, List<string> shared)
    {
        switch (type)
        {
            case "s":
                if (!int.TryParse(value, out var idx) || idx < 0 || idx >= shared.Count)
                    throw new FormatException($"shared string index '{value}' out of range (table has {shared.Count})");
                return shared[idx];
            case "inlineStr": return inline;
            case "b": return value == "1" ? "TRUE" : "FALSE";
            default: return value ?? "";
        }
    }

    /// <summary>"AB12" → 27 (0-based column of the letters).</summary>
    internal static int ColumnIndex(string reference, string source, long row)
    {
        int col = 0, i = 0;
        for (; i < reference.Length && char.IsAsciiLetter(reference[i]); i++)
            col = checked(col * 26 + (char.ToUpperInvariant(reference[i]) - 'A' + 1));
        if (i == 0) throw new InvalidDataException($"{source}:{row}: bad cell reference '{reference}'");
        return col - 1;
    }
}
