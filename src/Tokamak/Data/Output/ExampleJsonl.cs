using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Output;

/// <summary>
/// The JSONL form of <see cref="UnifiedExample"/>, one object per line:
/// {"system"?, "tools"?, "messages":[{"role","content"}...], "chosen"?:[...], "rejected"?:[...]} for conversations
/// and {"text": ...} for pretraining. Roles are "system", "user", "assistant", "function", "observation".
/// </summary>
public static class ExampleJsonl
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Role name used in the file.</summary>
    public static string RoleName(Role role) => role switch
    {
        Role.System => "system",
        Role.User => "user",
        Role.Assistant => "assistant",
        Role.FunctionCall => "function",
        Role.Observation => "observation",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>Inverse of <see cref="RoleName"/>.</summary>
    public static Role ParseRole(string name) => name switch
    {
        "system" => Role.System,
        "user" => Role.User,
        "assistant" => Role.Assistant,
        "function" => Role.FunctionCall,
        "observation" => Role.Observation,
        _ => throw new InvalidDataException($"unknown role '{name}'"),
    };

    /// <summary>One example as a single JSON line (no trailing newline).</summary>
    public static string ToJsonLine(UnifiedExample e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) Write(w, e);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one example as a JSON object.</summary>
    public static void Write(Utf8JsonWriter w, UnifiedExample e)
    {
        w.WriteStartObject();
        if (e.Content != null)
        {
            w.WriteString("text", e.Content);
            w.WriteEndObject();
            return;
        }
        if (e.System != null) w.WriteString("system", e.System);
        if (e.Tools != null) w.WriteString("tools", e.Tools);
        WriteTurns(w, "messages", e.Turns);
        if (e.Chosen != null) WriteTurns(w, "chosen", e.Chosen);
        if (e.Rejected != null) WriteTurns(w, "rejected", e.Rejected);
        w.WriteEndObject();
    }

    /// <summary>Parses a line written by <see cref="ToJsonLine"/>.</summary>
    public static UnifiedExample Parse(string line)
    {
        if (JsonNode.Parse(line) is not JsonObject o) throw new InvalidDataException("example line is not a JSON object");
        if (o["text"] is JsonValue t) return new UnifiedExample { Content = t.GetValue<string>() };
        return new UnifiedExample
        {
            System = o["system"]?.GetValue<string>(),
            Tools = o["tools"]?.GetValue<string>(),
            Turns = ReadTurns(o["messages"]) ?? throw new InvalidDataException("example line has no messages"),
            Chosen = ReadTurns(o["chosen"]),
            Rejected = ReadTurns(o["rejected"]),
        };
    }

    /// <summary>Writes examples to <paramref name="stream"/>, one per line (UTF-8, no BOM, "\n"); returns how many.</summary>
    public static long Write(IEnumerable<UnifiedExample> examples, Stream stream)
    {
        long n = 0;
        using var w = new Utf8JsonWriter(stream, WriterOptions);
        foreach (var e in examples)
        {
            Write(w, e);
            w.Flush();
            w.Reset();
            stream.WriteByte((byte)'\n');
            n++;
        }
        return n;
    }

    /// <summary>Writes examples to a file, one per line; returns how many.</summary>
    public static long WriteFile(IEnumerable<UnifiedExample> examples, string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return Write(examples, f);
    }

    private static void WriteTurns(Utf8JsonWriter w, string name, List<Turn> turns)
    {
        w.WriteStartArray(name);
        foreach (var t in turns)
        {
            w.WriteStartObject();
            w.WriteString("role", RoleName(t.Role));
            w.WriteString("content", t.Content);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static List<Turn>? ReadTurns(JsonNode? node) => node switch
    {
        null => null,
        JsonArray a => a.Select(m => new Turn(ParseRole(m!["role"]!.GetValue<string>()), m["content"]!.GetValue<string>())).ToList(),
        _ => throw new InvalidDataException("turn list is not an array"),
    };
}
