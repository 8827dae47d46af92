namespace Tokamak.Data.Readers;

/// <summary>Picks a reader from a file's extension and streams a file through it.</summary>
public static class RecordReaders
{
    /// <summary>The reader for <paramref name="path"/>'s extension (.json, .jsonl, .csv, .txt, .xlsx, .parquet).</summary>
    /// <remarks>A .json file whose first non-blank byte is '{' is read as JSON Lines, as Hugging Face datasets does.</remarks>
    public static IRecordReader ForFile(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".json" => LooksLikeJsonLines(path) ? new JsonLinesReader() : new JsonArrayReader(),
            ".jsonl" or ".ndjson" => new JsonLinesReader(),
            ".csv" => new CsvReader(),
            ".txt" or ".text" => new PlainTextReader(),
            ".xlsx" => new XlsxReader(),
            ".parquet" => new ParquetReader(),
            _ => throw new NotSupportedException($"{path}: unknown dataset file type '{ext}' (expected .json, .jsonl, .csv, .txt, .xlsx or .parquet)"),
        };
    }

    /// <summary>Lazily streams the records of one file; the file is opened on first enumeration and closed at the end.</summary>
    public static IEnumerable<RawRecord> ReadFile(string path, ReaderOptions? options = null, ReaderStats? stats = null)
    {
        var reader = ForFile(path);
        options ??= new ReaderOptions();
        stats ??= new ReaderStats();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var r in reader.Read(stream, Path.GetFileName(path), options, stats)) yield return r;
    }

    private static bool LooksLikeJsonLines(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4096];
        int n = f.Read(head);
        var span = head[..n];
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        foreach (var b in span)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            return b == (byte)'{';
        }
        return false;
    }
}
