namespace Tokamak.Tests.Data;

/// <summary>Locates the data fixtures copied next to the test assembly.</summary>
internal static class DataFixtures
{
    public static string Dir => System.IO.Path.Combine(AppContext.BaseDirectory, "Data", "Fixtures");
    public static string Path(string name) => System.IO.Path.Combine(Dir, name);
}

/// <summary>Wraps a stream, hands out at most <c>maxChunk</c> bytes per Read and counts bytes handed out.</summary>
internal sealed class CountingStream(Stream inner, int maxChunk = int.MaxValue) : Stream
{
    public long BytesRead { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, Math.Min(count, maxChunk));
        BytesRead += n;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}
