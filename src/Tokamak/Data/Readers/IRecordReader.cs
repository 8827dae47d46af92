namespace Tokamak.Data.Readers;

/// <summary>Streams records out of one file format without loading the file whole.</summary>
public interface IRecordReader
{
    /// <summary>
    /// Lazily reads <paramref name="stream"/> (UTF-8, BOM optional). Records are produced as soon as their bytes
    /// have been read; malformed ones follow <see cref="ReaderOptions.OnError"/> and are counted in <paramref name="stats"/>.
    /// </summary>
    IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats);
}
