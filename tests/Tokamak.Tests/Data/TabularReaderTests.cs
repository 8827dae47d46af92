using System.IO.Compression;
using System.Security;
using System.Text;
using Tokamak.Data;
using Tokamak.Data.Readers;

namespace Tokamak.Tests.Data;

public class TabularReaderTests
{
    [Fact]
    public void Csv_QuotesEscapedQuotesAndEmbeddedCrlf()
    {
        var records = RecordReaders.ReadFile(DataFixtures.Path("quoted.csv")).ToList();
        Assert.Equal(3, records.Count);
        Assert.Equal([2L, 4L, 5L], records.Select(r => r.Line)); // record 1 spans lines 2-3
        Assert.Equal("Write a \"haiku\"", (string)records[0].Fields["instruction"]!); // BOM not in header name
        Assert.Equal("", (string)records[0].Fields["input"]!);
        Assert.Equal("Old pond,\r\nfrog jumps in", (string)records[0].Fields["output"]!);
        Assert.Equal(["plain", "x", "y"], records[1].Fields.Select(p => (string)p.Value!));
        Assert.Equal("comma, inside", (string)records[2].Fields["instruction"]!);
        Assert.Equal("ok", (string)records[2].Fields["output"]!);
    }

    [Fact]
    public void Csv_ShortRow_ReportsLine_OrIsSkipped()
    {
        var ex = Assert.Throws<InvalidDataException>(() => RecordReaders.ReadFile(DataFixtures.Path("short_row.csv")).ToList());
        Assert.Equal("short_row.csv:3: expected 2 fields, found 1", ex.Message);
        var stats = new ReaderStats();
        var rows = RecordReaders.ReadFile(DataFixtures.Path("short_row.csv"), new ReaderOptions { OnError = ErrorPolicy.Skip }, stats).ToList();
        Assert.Equal(["1", "4"], rows.Select(r => (string)r.Fields["a"]!));
        Assert.Equal(1, stats.Skipped);
    }

    [Theory]
    [InlineData("a,b\n\"x\"y,1\n", "mem:2: unexpected character 'y' after closing quote")]
    [InlineData("a,b\n1,2\n\"never closed,3\n", "mem:3: unterminated quoted field")]
    public void Csv_MalformedQuotes_AreReported(string csv, string expectedStart)
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            new CsvReader().Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "mem", new ReaderOptions(), new ReaderStats()).ToList());
        Assert.StartsWith(expectedStart, ex.Message);
    }

    [Fact]
    public void Text_LineAndParagraphModes()
    {
        var path = DataFixtures.Path("paragraphs.txt");
        var lines = RecordReaders.ReadFile(path).ToList();
        Assert.Equal(["First paragraph line one.", "line two.", "Second paragraph.", "Third"], lines.Select(r => (string)r.Fields["text"]!));
        Assert.Equal([1L, 2L, 5L, 7L], lines.Select(r => r.Line));

        var paras = RecordReaders.ReadFile(path, new ReaderOptions { TextSplit = TextSplit.Paragraph }).ToList();
        Assert.Equal(["First paragraph line one.\nline two.", "Second paragraph.", "Third"], paras.Select(r => (string)r.Fields["text"]!));
        Assert.Equal([1L, 5L, 7L], paras.Select(r => r.Line));
    }

    /// <summary>Builds a minimal OOXML workbook by hand: content types, workbook + rels, shared strings, one sheet.</summary>
    internal static byte[] BuildXlsx(string[] sharedStrings, string sheetRowsXml, string sheetPath = "worksheets/sheet1.xml")
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string xml)
            {
                using var w = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
                w.Write(xml);
            }
            Add("[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>""");
            Add("_rels/.rels", """<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
            Add("xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId7"/></sheets></workbook>""");
            Add("xl/_rels/workbook.xml.rels", $"""<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{sheetPath}"/><Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>""");
            var sst = new StringBuilder($"""<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{sharedStrings.Length}" uniqueCount="{sharedStrings.Length}">""");
            foreach (var s in sharedStrings) sst.Append(s.StartsWith('<') ? $"<si>{s}</si>" : $"<si><t xml:space=\"preserve\">{SecurityElement.Escape(s)}</t></si>");
            Add("xl/sharedStrings.xml", sst.Append("</sst>").ToString());
            Add("xl/" + sheetPath, $"""<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheetRowsXml}</sheetData></worksheet>""");
        }
        return ms.ToArray();
    }

    [Fact]
    public void Xlsx_SharedInlineNumericAndSparseCells()
    {
        string[] strings = ["instruction", "output", "input", "Translate <b> & \"quote\"", "<r><t>Rich </t></r><r><rPr><b/></rPr><t>text</t></r><rPh><t>ignored</t></rPh>"];
        var rows =
            """<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>""" +
            """<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="inlineStr"><is><t>Übersetzung</t></is></c><c r="C2"><v>3.5</v></c></row>""" +
            """<row r="4"><c r="A4" t="s"><v>4</v></c><c r="C4" t="b"><v>1</v></c></row>""" +
            """<row r="5"><c r="A5"/></row>""";
        var bytes = BuildXlsx(strings, rows, sheetPath: "worksheets/data.xml"); // non-default name: resolved through workbook rels
        var records = new XlsxReader().Read(new MemoryStream(bytes), "book.xlsx", new ReaderOptions(), new ReaderStats()).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal([2L, 4L], records.Select(r => r.Line));
        Assert.Equal("Translate <b> & \"quote\"", (string)records[0].Fields["instruction"]!);
        Assert.Equal("Übersetzung", (string)records[0].Fields["output"]!);
        Assert.Equal("3.5", (string)records[0].Fields["input"]!);
        Assert.Equal("Rich text", (string)records[1].Fields["instruction"]!);
        Assert.Equal("", (string)records[1].Fields["output"]!); // missing cell B4
        Assert.Equal("TRUE", (string)records[1].Fields["input"]!);
    }

    [Fact]
    public void Xlsx_BadSharedStringIndex_ReportsRow()
    {
        var rows = """<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>9</v></c></row>""";
        var bytes = BuildXlsx(["h"], rows);
        var ex = Assert.Throws<InvalidDataException>(() => new XlsxReader().Read(new MemoryStream(bytes), "b.xlsx", new ReaderOptions(), new ReaderStats()).ToList());
        Assert.StartsWith("b.xlsx:2: shared string index '9'", ex.Message);
    }

    [Fact]
    public void Xlsx_NotAZip_IsRejectedClearly()
    {
        var ex = Assert.Throws<InvalidDataException>(() => new XlsxReader().Read(new MemoryStream("hello"u8.ToArray()), "b.xlsx", new ReaderOptions(), new ReaderStats()).ToList());
        Assert.StartsWith("b.xlsx: not an .xlsx file", ex.Message);
    }
}
