using System.Buffers;
using System.Text.Json;

namespace Tokamak.Server.Streaming;

/// <summary>Writes Server-Sent Events in OpenAI's form: <c>data: {json}\n\n</c> per chunk, then <c>data: [DONE]\n\n</c>.</summary>
internal sealed class SseWriter
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private readonly HttpResponse _response;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly CancellationToken _ct;

    public SseWriter(HttpResponse response, CancellationToken ct)
    {
        _response = response;
        _ct = ct;
        _json = new Utf8JsonWriter(_buffer);
    }

    public bool Started => _response.HasStarted;

    public async Task StartAsync()
    {
        _response.StatusCode = 200;
        _response.ContentType = "text/event-stream; charset=utf-8";
        _response.Headers.CacheControl = "no-cache";
        _response.Headers["X-Accel-Buffering"] = "no";
        await _response.StartAsync(_ct);
    }

    /// <summary>Sends one event whose JSON <paramref name="build"/> writes.</summary>
    public async Task SendAsync(Action<Utf8JsonWriter> build)
    {
        _buffer.Clear();
        _json.Reset(_buffer);
        build(_json);
        _json.Flush();
        var body = _response.BodyWriter;
        body.Write(DataPrefix);
        body.Write(_buffer.WrittenSpan);
        body.Write(EventEnd);
        await body.FlushAsync(_ct);
    }

    /// <summary>Sends an error object mid-stream (the status line has already gone out).</summary>
    public Task SendErrorAsync(string message, string type, string? code) => SendAsync(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteNull("param");
        if (code is null) w.WriteNull("code"); else w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    public async Task DoneAsync()
    {
        _response.BodyWriter.Write(Done);
        await _response.BodyWriter.FlushAsync(_ct);
    }
}
