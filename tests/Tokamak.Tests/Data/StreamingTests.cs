using System.Text;
using Tokamak.Data.Readers;

namespace Tokamak.Tests.Data;

public class StreamingTests
{
    private static string MakeFile(string ext, bool array, int records)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokamak-stream-{Guid.NewGuid():N}{ext}");
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        if (array) w.Write("[\n");
        for (int i = 0; i < records; i++)
        {
            if (array && i > 0) w.Write(",\n");
            w.Write($"{{\"instruction\": \"question number {i}\", \"output\": \"{new string('x', 200)} {i}\"}}");
            if (!array) w.Write('\n');
        }
        if (array) w.Write("\n]\n");
        return path;
    }

    [Theory]
    [InlineData(".jsonl", false)]
    [InlineData(".json", true)]
    public void MultiMegabyteFile_FirstRecordArrivesAfterReadingOnlyAFewChunks(string ext, bool array)
    {
        const int n = 20_000; // ≈ 5 MB
        var path = MakeFile(ext, array, n);
        try
        {
            long size = new FileInfo(path).Length;
            Assert.True(size > 4_000_000, $"fixture is {size} bytes");
            using var counting = new CountingStream(File.OpenRead(path));
            IRecordReader reader = array ? new JsonArrayReader() : new JsonLinesReader();
            using var e = reader.Read(counting, Path.GetFileName(path), new ReaderOptions(), new ReaderStats()).GetEnumerator();
            Assert.True(e.MoveNext());
            Assert.Equal("question number 0", (string)e.Current.Fields["instruction"]!);
            Assert.True(counting.BytesRead <= 256 * 1024, $"read {counting.BytesRead} of {size} bytes before the first record");
            long count = 1;
            long lastLine = e.Current.Line;
            while (e.MoveNext()) { count++; lastLine = e.Current.Line; }
            Assert.Equal(n, count);
            Assert.Equal(size, counting.BytesRead);
            Assert.Equal(array ? n + 1 : n, lastLine); // arrays start on line 2
        }
        finally { File.Delete(path); }
    }
}
