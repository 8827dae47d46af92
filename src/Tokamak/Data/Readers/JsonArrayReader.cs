using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Readers;

/// <summary>
/// A top-level JSON array of objects, streamed element by element with <see cref="Utf8JsonReader"/> over a sliding
/// buffer (it only grows to hold the largest single element). A syntax error is always fatal — a JSON array cannot
/// be resynchronised after one — while a well-formed element that is not an object follows the error policy.
/// </summary>
public sealed class JsonArrayReader : IRecordReader
{
    private const int InitialBuffer = 1 << 16;

    /// <summary>Scanner progress through the top-level value.</summary>
    private enum Phase { BeforeArray, InArray, AfterArray }

    /// <inheritdoc />
    public IEnumerable<RawRecord> Read(Stream stream, string source, ReaderOptions options, ReaderStats stats)
    {
        var buf = new byte[InitialBuffer];
        int len = 0;
        bool eof = false, bomChecked = false;
        long bufLine = 1; // line number at buf[0]
        var state = new JsonReaderState(JsonRecordParsing.Reader);
        var phase = Phase.BeforeArray;
        var found = new List<(int Start, int End)>();
        while (true)
        {
            if (len == buf.Length) Array.Resize(ref buf, checked(buf.Length * 2)); // one element larger than the buffer
            if (!eof)
            {
                int n = stream.Read(buf, len, buf.Length - len);
                if (n == 0) eof = true;
                len += n;
                if (!bomChecked && (len >= 3 || eof))
                {
                    bomChecked = true;
                    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
                    {
                        Buffer.BlockCopy(buf, 3, buf, 0, len - 3);
                        len -= 3;
                    }
                }
                if (!bomChecked) continue;
            }
            found.Clear();
            int consumed;
            try { consumed = Scan(buf.AsSpan(0, len), eof, ref state, ref phase, found); }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{source}:{(ex.LineNumber ?? 0) + 1}: invalid JSON: {FirstSentence(ex.Message)}", ex);
            }
            catch (FormatException ex) { throw new InvalidDataException($"{source}: {ex.Message}", ex); }

            int pos = 0;
            long line = bufLine;
            foreach (var (start, end) in found)
            {
                line += buf.AsSpan(pos, start - pos).Count((byte)'\n');
                pos = start;
                var node = JsonNode.Parse(buf.AsSpan(start, end - start), documentOptions: JsonRecordParsing.Document);
                if (node is not JsonObject obj) { stats.Bad(options, source, line, "array element is not a JSON object"); continue; }
                stats.Records++;
                yield return new RawRecord(source, line, obj);
            }
            bufLine = line + buf.AsSpan(pos, consumed - pos).Count((byte)'\n');
            Buffer.BlockCopy(buf, consumed, buf, 0, len - consumed);
            len -= consumed;
            if (eof)
            {
                if (phase != Phase.AfterArray) throw new InvalidDataException($"{source}:{bufLine}: JSON array is truncated");
                yield break;
            }
        }
    }

    /// <summary>
    /// Tokenises as far as the data allows and records the byte ranges of complete depth-1 elements.
    /// Returns how many bytes are fully processed; an incomplete element is left for the next call.
    /// </summary>
    private static int Scan(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state, ref Phase phase, List<(int, int)> found)
    {
        var reader = new Utf8JsonReader(data, final, state);
        while (true)
        {
            var before = reader.CurrentState;
            int beforePos = (int)reader.BytesConsumed;
            if (!reader.Read()) break;
            if (phase == Phase.BeforeArray)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw new FormatException("top-level JSON value is not an array (use .jsonl for one object per line)");
                phase = Phase.InArray;
                continue;
            }
            if (phase == Phase.AfterArray) continue;
            if (reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == 0) { phase = Phase.AfterArray; continue; }
            int start = (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
            {
                state = before;
                return beforePos;
            }
            found.Add((start, (int)reader.BytesConsumed));
        }
        state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
