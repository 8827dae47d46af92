using System.Text;

namespace Tokamak.Data.Readers;

/// <summary>One physical line: its 1-based number, the decoded text (null if not valid UTF-8) and its terminator.</summary>
internal readonly record struct TextLine(long Number, string? Text, bool EndsWithCrLf, bool HasTerminator);

/// <summary>
/// Splits a UTF-8 stream into lines on '\n' (dropping a preceding '\r') with exact line numbers, decoding each line
/// separately so one bad byte sequence spoils only its own line. A leading BOM is skipped.
/// </summary>
internal sealed class Utf8LineReader
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream _stream;
    private byte[] _buf = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _bomChecked;
    private long _line;

    public Utf8LineReader(Stream stream) => _stream = stream;

    public bool TryRead(out TextLine line)
    {
        if (!_bomChecked)
        {
            while (_end < 3 && !_eof) Fill();
            if (_end >= 3 && _buf[0] == 0xEF && _buf[1] == 0xBB && _buf[2] == 0xBF) _start = 3;
            _bomChecked = true;
        }
        int scanFrom = _start;
        while (true)
        {
            int nl = _buf.AsSpan(scanFrom, _end - scanFrom).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int stop = scanFrom + nl;
                bool crlf = stop > _start && _buf[stop - 1] == (byte)'\r';
                line = new TextLine(++_line, Decode(_start, (crlf ? stop - 1 : stop) - _start), crlf, true);
                _start = stop + 1;
                return true;
            }
            if (_eof)
            {
                if (_start >= _end) { line = default; return false; }
                line = new TextLine(++_line, Decode(_start, _end - _start), false, false);
                _start = _end;
                return true;
            }
            scanFrom = _end - _start; // offset of unscanned bytes after compaction
            Compact();
            scanFrom += _start;
            Fill();
        }
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, checked(_buf.Length * 2)); // a line longer than the buffer
    }

    private void Fill()
    {
        if (_end == _buf.Length) Compact();
        int n = _stream.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    private string? Decode(int offset, int count)
    {
        try { return Strict.GetString(_buf, offset, count); }
        catch (DecoderFallbackException) { return null; }
    }
}
