namespace Tokamak.Data.Readers;

/// <summary>Placeholder for Apache Parquet input, which is not implemented yet.</summary>
public sealed class ParquetReader : IRecordReader
{
    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats) =>
        throw new NotSupportedException(
            $"{source}: Parquet input is not supported yet; convert it to JSON Lines first (e.g. pandas.read_parquet(...).to_json(lines=True, orient='records')).");
}
