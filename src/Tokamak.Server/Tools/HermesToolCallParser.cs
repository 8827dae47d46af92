using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Server.Tools;

/// <summary>
/// The Hermes/Qwen format: <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, possibly
/// several, with optional text before. Text that could be the start of a tag is held back until it is decided;
/// whitespace around calls is dropped; a call whose body is not valid JSON is passed through as text.
/// </summary>
public sealed class HermesToolCallParser : IToolCallParser
{
    /// <summary>Opening tag.</summary>
    public const string Open = "<tool_call>";

    /// <summary>Closing tag.</summary>
    public const string Close = "</tool_call>";

    /// <inheritdoc />
    public IToolCallStream Start() => new Stream();

    /// <summary>Parses a call body; null when it is not <c>{"name": string, "arguments": object|string}</c>.</summary>
    public static ToolCallItem? ParseBody(string body)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(body); }
        catch (JsonException) { return null; }
        if (node is not JsonObject o || o["name"] is not JsonValue nv || nv.GetValueKind() != JsonValueKind.String) return null;
        var args = o["arguments"] ?? o["parameters"];
        string argsJson = args switch
        {
            null => "{}",
            JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
            _ => args.ToJsonString(),
        };
        return new ToolCallItem(nv.GetValue<string>(), argsJson);
    }

    private sealed class Stream : IToolCallStream
    {
        private readonly StringBuilder _buf = new();
        private bool _inCall;
        private string _wsBefore = ""; // whitespace dropped before the open tag; restored if the call is not valid

        public int CallCount { get; private set; }

        public void Push(string delta, List<ToolStreamItem> output)
        {
            _buf.Append(delta);
            Drain(output, final: false);
        }

        public void Flush(List<ToolStreamItem> output)
        {
            Drain(output, final: true);
            if (_inCall)
            {
                string body = _buf.ToString();
                if (ParseBody(body.Trim()) is { } call)
                {
                    CallCount++;
                    output.Add(call);
                }
                else output.Add(new ContentItem(_wsBefore + Open + body));
            }
            else if (_buf.Length > 0 && (CallCount == 0 || !string.IsNullOrWhiteSpace(_buf.ToString())))
                output.Add(new ContentItem(_buf.ToString()));
            _buf.Clear();
            _inCall = false;
        }

        private void Drain(List<ToolStreamItem> output, bool final)
        {
            while (true)
            {
                string s = _buf.ToString();
                if (_inCall)
                {
                    int end = s.IndexOf(Close, StringComparison.Ordinal);
                    if (end < 0) return;
                    string body = s[..end];
                    var rest = s.AsSpan(end + Close.Length);
                    if (ParseBody(body.Trim()) is { } call)
                    {
                        CallCount++;
                        output.Add(call);
                        rest = rest.TrimStart();
                    }
                    else output.Add(new ContentItem(_wsBefore + Open + body + Close));
                    _buf.Clear().Append(rest);
                    _inCall = false;
                    continue;
                }
                int open = s.IndexOf(Open, StringComparison.Ordinal);
                if (open >= 0)
                {
                    string before = s[..open].TrimEnd();
                    _wsBefore = s[before.Length..open];
                    if (before.Length > 0) output.Add(new ContentItem(before));
                    _buf.Clear().Append(s.AsSpan(open + Open.Length));
                    _inCall = true;
                    continue;
                }
                if (final) return;
                // Release everything except a suffix that may begin a tag, and except trailing whitespace (which is
                // dropped if a call follows).
                int keep = PartialTagSuffix(s);
                int release = s.Length - keep;
                while (release > 0 && char.IsWhiteSpace(s[release - 1])) release--;
                if (release > 0)
                {
                    output.Add(new ContentItem(s[..release]));
                    _buf.Remove(0, release);
                }
                return;
            }
        }

        // Length of the longest suffix of s that is a proper prefix of the opening tag.
        private static int PartialTagSuffix(string s)
        {
            for (int len = Math.Min(Open.Length - 1, s.Length); len > 0; len--)
                if (string.CompareOrdinal(s, s.Length - len, Open, 0, len) == 0) return len;
            return 0;
        }
    }
}
