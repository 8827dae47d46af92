using System.Text;
using System.Text.Json.Nodes;
using Tokamak.Data;
using Tokamak.Data.Readers;

namespace Tokamak.Tests.Data;

public class JsonReaderTests
{
    private static List<RawRecord> ReadAll(IRecordReader reader, byte[] bytes, ReaderOptions? options = null, ReaderStats? stats = null, int chunk = int.MaxValue) =>
        reader.Read(new CountingStream(new MemoryStream(bytes), chunk), "mem", options ?? new ReaderOptions(), stats ?? new ReaderStats()).ToList();

    [Fact]
    public void JsonArray_WithBomAndCrlf_YieldsObjectsWithStartLines()
    {
        var records = RecordReaders.ReadFile(DataFixtures.Path("alpaca_bom_crlf.json")).ToList();
        Assert.Equal([2L, 3L, 8L], records.Select(r => r.Line));
        Assert.All(records, r => Assert.Equal("alpaca_bom_crlf.json", r.Source));
        Assert.Equal("Add", (string)records[1].Fields["instruction"]!);
        Assert.Equal("Übersetze", (string)records[2].Fields["instruction"]!);
        Assert.Equal("a1", (string)records[2].Fields["history"]![0]![1]!);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void JsonArray_ArbitraryChunking_MatchesWholeDocumentParse(int chunk)
    {
        // Elements bigger than the reader's initial 64 KiB buffer force it to grow mid-element.
        var rng = new Random(5);
        var arr = new JsonArray();
        for (int i = 0; i < 40; i++)
            arr.Add(new JsonObject { ["id"] = i, ["text"] = new string((char)('a' + i % 26), rng.Next(0, i == 7 ? 150_000 : 300)), ["nested"] = new JsonArray(1, "x\n\"q\"", null) });
        var bytes = Encoding.UTF8.GetBytes(arr.ToJsonString());
        var expected = JsonNode.Parse(bytes)!.AsArray();
        var records = ReadAll(new JsonArrayReader(), bytes, chunk: chunk);
        Assert.Equal(expected.Count, records.Count);
        for (int i = 0; i < records.Count; i++) Assert.True(JsonNode.DeepEquals(expected[i], records[i].Fields), $"element {i}");
    }

    [Fact]
    public void JsonArray_Truncated_ThrowsNamingLastLine()
    {
        var ex = Assert.Throws<InvalidDataException>(() => RecordReaders.ReadFile(DataFixtures.Path("truncated_array.json")).ToList());
        Assert.StartsWith("truncated_array.json:4:", ex.Message);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(int.MaxValue)]
    public void JsonArray_SyntaxErrorDeepInFile_ReportsItsLineAcrossBufferRefills(int chunk)
    {
        // 3000 one-line elements (≈ 150 KB, several buffer refills), then a missing comma on line 3002.
        var sb = new StringBuilder("[\n");
        for (int i = 0; i < 3000; i++) sb.Append($"{{\"id\": {i}, \"pad\": \"{new string('p', 30)}\"}},\n");
        sb.Append("{\"id\": 1} {\"id\": 2}\n]");
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(new JsonArrayReader(), Encoding.UTF8.GetBytes(sb.ToString()), chunk: chunk));
        Assert.StartsWith("mem:3002: invalid JSON", ex.Message);
    }

    [Fact]
    public void JsonArray_NonObjectElement_FollowsPolicy()
    {
        var bytes = Encoding.UTF8.GetBytes("[\n{\"a\":1},\n42,\n{\"a\":2}\n]");
        Assert.Throws<InvalidDataException>(() => ReadAll(new JsonArrayReader(), bytes));
        var stats = new ReaderStats();
        var records = ReadAll(new JsonArrayReader(), bytes, new ReaderOptions { OnError = ErrorPolicy.Skip }, stats);
        Assert.Equal(2, records.Count);
        Assert.Equal(1, stats.Skipped);
        Assert.Equal("mem:3: array element is not a JSON object", stats.Errors.Single());
    }

    [Fact]
    public void JsonArray_TopLevelObject_IsRejectedClearly()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(new JsonArrayReader(), "{\"a\": 1}"u8.ToArray()));
        Assert.Contains("not an array", ex.Message);
    }

    [Fact]
    public void JsonLines_TruncatedLine_ReportsFileAndLine()
    {
        var ex = Assert.Throws<InvalidDataException>(() => RecordReaders.ReadFile(DataFixtures.Path("sharegpt_truncated.jsonl")).ToList());
        Assert.StartsWith("sharegpt_truncated.jsonl:3: invalid JSON", ex.Message);
    }

    [Fact]
    public void JsonLines_SkipPolicy_CountsBadLineAndKeepsLineNumbers()
    {
        var stats = new ReaderStats();
        var records = RecordReaders.ReadFile(DataFixtures.Path("sharegpt_truncated.jsonl"), new ReaderOptions { OnError = ErrorPolicy.Skip }, stats).ToList();
        Assert.Equal([1L, 2L, 4L, 6L], records.Select(r => r.Line)); // line 5 is blank
        Assert.Equal(1, stats.Skipped);
        Assert.Equal(4, stats.Records);
        Assert.StartsWith("sharegpt_truncated.jsonl:3:", stats.Errors.Single());
    }

    [Fact]
    public void JsonLines_InvalidUtf8AndBom_AreHandledPerLine()
    {
        var bytes = new List<byte> { 0xEF, 0xBB, 0xBF };
        bytes.AddRange("{\"t\":\"é\"}\r\n"u8.ToArray());
        bytes.AddRange([(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'\n']);
        bytes.AddRange("{\"t\":\"z\"}"u8.ToArray()); // no final newline
        var stats = new ReaderStats();
        var records = ReadAll(new JsonLinesReader(), bytes.ToArray(), new ReaderOptions { OnError = ErrorPolicy.Skip }, stats);
        Assert.Equal(["é", "z"], records.Select(r => (string)r.Fields["t"]!));
        Assert.Equal([1L, 3L], records.Select(r => r.Line));
        Assert.Equal("mem:2: invalid UTF-8", stats.Errors.Single());
    }

    [Fact]
    public void DotJsonFile_ContainingJsonLines_IsSniffed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokamak-sniff-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"a\": 1}\n{\"a\": 2}\n");
        try
        {
            Assert.IsType<JsonLinesReader>(RecordReaders.ForFile(path));
            Assert.Equal([1, 2], RecordReaders.ReadFile(path).Select(r => (int)r.Fields["a"]!));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Parquet_IsNotSupported_WithClearMessage()
    {
        var ex = Assert.Throws<NotSupportedException>(() => new ParquetReader().Read(Stream.Null, "x.parquet", new(), new()).ToList());
        Assert.Contains("Parquet", ex.Message);
    }
}
