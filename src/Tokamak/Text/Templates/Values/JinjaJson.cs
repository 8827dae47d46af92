using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Text.Templates;

/// <summary>
/// JSON in and out: System.Text.Json nodes to values (as <c>json.loads</c> would), and values to text exactly like
/// Python's <c>json.dumps(x, ensure_ascii=False)</c>, which is what Hugging Face's <c>tojson</c> filter calls.
/// </summary>
internal static class JinjaJson
{
    public static JinjaValue FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null: return JinjaValue.None;
            case JsonObject obj:
                var dict = new JinjaDict();
                foreach (var (k, v) in obj) dict.Set(k, FromNode(v));
                return dict;
            case JsonArray arr:
                var list = new List<JinjaValue>(arr.Count);
                foreach (var item in arr) list.Add(FromNode(item));
                return new JinjaList(list);
            case JsonValue val:
                return FromValue(val);
            default:
                throw new ArgumentException($"unsupported JSON node {node.GetType().Name}");
        }
    }

    private static JinjaValue FromValue(JsonValue val)
    {
        switch (val.GetValueKind())
        {
            case JsonValueKind.String: return new JinjaString(val.GetValue<string>());
            case JsonValueKind.True: return JinjaValue.True;
            case JsonValueKind.False: return JinjaValue.False;
            case JsonValueKind.Null: return JinjaValue.None;
            case JsonValueKind.Number:
                if (val.TryGetValue<JsonElement>(out var el))
                {
                    // Python's json.loads: an integer literal stays int, anything with '.', 'e' becomes float.
                    string raw = el.GetRawText();
                    if (raw.AsSpan().IndexOfAny(".eE") < 0 && el.TryGetInt64(out long l)) return new JinjaInteger(l);
                    return new JinjaFloat(el.GetDouble());
                }
                if (val.TryGetValue<long>(out long lv)) return new JinjaInteger(lv);
                if (val.TryGetValue<int>(out int iv)) return new JinjaInteger(iv);
                if (val.TryGetValue<double>(out double dv)) return new JinjaFloat(dv);
                if (val.TryGetValue<float>(out float fv)) return new JinjaFloat(fv);
                if (val.TryGetValue<decimal>(out decimal mv)) return new JinjaFloat((double)mv);
                return new JinjaFloat(double.Parse(val.ToJsonString(), CultureInfo.InvariantCulture));
            default:
                throw new ArgumentException($"unsupported JSON value kind {val.GetValueKind()}");
        }
    }

    /// <summary>
    /// <c>json.dumps(value, ensure_ascii, indent, sort_keys)</c>. Separators are <c>", "</c>/<c>": "</c> without
    /// indent and <c>","</c>/<c>": "</c> with one, as in Python.
    /// </summary>
    public static string Dumps(JinjaValue value, string? indent, bool ensureAscii, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, ensureAscii, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JinjaValue v, string? indent, bool ascii, bool sortKeys, int depth)
    {
        if (depth > 512) throw new JinjaRuntimeError("tojson: value nested too deeply (circular?)");
        switch (v)
        {
            case JinjaNone: sb.Append("null"); return;
            case JinjaBoolean b: sb.Append(b.Value ? "true" : "false"); return;
            case JinjaInteger i: sb.Append(i.Value.ToString(CultureInfo.InvariantCulture)); return;
            case JinjaFloat f: sb.Append(FloatJson(f.Value)); return;
            case JinjaString s: WriteString(sb, s.Value, ascii); return;
            case JinjaList l:
                if (l.Items.Count == 0) { sb.Append("[]"); return; }
                sb.Append('[');
                for (int k = 0; k < l.Items.Count; k++)
                {
                    Separator(sb, indent, depth + 1, k == 0);
                    Write(sb, l.Items[k], indent, ascii, sortKeys, depth + 1);
                }
                Close(sb, indent, depth);
                sb.Append(']');
                return;
            case JinjaDict d:
                if (d.Entries.Count == 0) { sb.Append("{}"); return; }
                IEnumerable<KeyValuePair<JinjaValue, JinjaValue>> entries = d.Entries;
                if (sortKeys) entries = entries.OrderBy(e => KeyString(e.Key), Comparer<string>.Create(PythonEquality.CompareCodePoints));
                sb.Append('{');
                bool first = true;
                foreach (var (k, val) in entries)
                {
                    Separator(sb, indent, depth + 1, first);
                    first = false;
                    WriteString(sb, KeyString(k), ascii);
                    sb.Append(": ");
                    Write(sb, val, indent, ascii, sortKeys, depth + 1);
                }
                Close(sb, indent, depth);
                sb.Append('}');
                return;
            case JinjaNamespace ns:
                throw new JinjaRuntimeError("Object of type Namespace is not JSON serializable");
            case JinjaUndefined:
                throw new JinjaRuntimeError("Object of type Undefined is not JSON serializable");
            default:
                throw new JinjaRuntimeError($"Object of type {v.TypeName} is not JSON serializable");
        }
    }

    private static void Separator(StringBuilder sb, string? indent, int depth, bool first)
    {
        if (!first) sb.Append(indent is null ? ", " : ",");
        if (indent is null) return;
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }

    private static void Close(StringBuilder sb, string? indent, int depth)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }

    /// <summary>json.dumps turns non-string keys into strings: ints as digits, floats by repr, True → "true".</summary>
    private static string KeyString(JinjaValue k) => k switch
    {
        JinjaString s => s.Value,
        JinjaInteger i => i.Value.ToString(CultureInfo.InvariantCulture),
        JinjaFloat f => FloatJson(f.Value),
        JinjaBoolean b => b.Value ? "true" : "false",
        JinjaNone => "null",
        _ => throw new JinjaRuntimeError($"keys must be str, int, float, bool or None, not {k.TypeName}"),
    };

    private static string FloatJson(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PythonFormat.FloatRepr(d);

    private static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7E))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
