using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Server.Api;

/// <summary>
/// Typed, range-checked access to the fields of a JSON request object. Absent and <c>null</c> fields read as null
/// (OpenAI treats them alike); a field of the wrong type or out of range is a 400 naming it. Unknown fields are
/// simply never read.
/// </summary>
internal sealed class RequestReader
{
    public RequestReader(JsonObject body) => Body = body;

    public JsonObject Body { get; }

    /// <summary>Reads and parses the request body as a JSON object.</summary>
    public static async Task<RequestReader> ReadAsync(HttpContext ctx)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {FirstLine(e.Message)}");
        }
        return node is JsonObject o ? new RequestReader(o) : throw ApiException.BadRequest("the request body must be a JSON object");
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public JsonNode? Raw(string name) => Body.TryGetPropertyValue(name, out var v) ? v : null;

    public bool Has(string name) => Raw(name) is not null;

    public static string KindName(JsonNode n) => n.GetValueKind() switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    public string? String(string name)
    {
        var n = Raw(name);
        if (n is null) return null;
        return n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : throw TypeError(name, "a string", n);
    }

    public bool? Bool(string name)
    {
        var n = Raw(name);
        if (n is null) return null;
        return n.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TypeError(name, "a boolean", n),
        };
    }

    public long? Long(string name, long min, long max)
    {
        var n = Raw(name);
        if (n is null) return null;
        if (n.GetValueKind() != JsonValueKind.Number) throw TypeError(name, "an integer", n);
        var el = n.GetValue<JsonElement>();
        long v;
        if (!el.TryGetInt64(out v))
        {
            double d = el.GetDouble();
            if (d != Math.Floor(d) || Math.Abs(d) > 9e18) throw TypeError(name, "an integer", n);
            v = (long)d;
        }
        if (v < min || v > max) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}, got {v}", name);
        return v;
    }

    public int? Int(string name, int min, int max) => (int?)Long(name, min, max);

    public double? Number(string name, double min, double max)
    {
        var n = Raw(name);
        if (n is null) return null;
        if (n.GetValueKind() != JsonValueKind.Number) throw TypeError(name, "a number", n);
        double v = n.GetValue<JsonElement>().GetDouble();
        if (!double.IsFinite(v) || v < min || v > max) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}, got {v}", name);
        return v;
    }

    public JsonArray? Array(string name)
    {
        var n = Raw(name);
        if (n is null) return null;
        return n as JsonArray ?? throw TypeError(name, "an array", n);
    }

    public JsonObject? Object(string name)
    {
        var n = Raw(name);
        if (n is null) return null;
        return n as JsonObject ?? throw TypeError(name, "an object", n);
    }

    /// <summary>A string or an array of strings (e.g. <c>stop</c>).</summary>
    public IReadOnlyList<string>? StringOrStrings(string name, int maxCount)
    {
        var n = Raw(name);
        if (n is null) return null;
        if (n.GetValueKind() == JsonValueKind.String) return [n.GetValue<string>()];
        if (n is not JsonArray a) throw TypeError(name, "a string or an array of strings", n);
        if (a.Count > maxCount) throw ApiException.BadRequest($"'{name}' may hold at most {maxCount} entries, got {a.Count}", name);
        var list = new List<string>(a.Count);
        foreach (var item in a)
        {
            if (item is null || item.GetValueKind() != JsonValueKind.String) throw ApiException.BadRequest($"'{name}' must be a string or an array of strings", name);
            list.Add(item.GetValue<string>());
        }
        return list;
    }

    /// <summary>An array of integers within [min, max].</summary>
    public IReadOnlyList<int>? Ints(string name, int min, int max)
    {
        var a = Array(name);
        return a is null ? null : IntsOf(a, name, min, max);
    }

    public static int[] IntsOf(JsonArray a, string name, int min, int max)
    {
        var r = new int[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            var item = a[i];
            if (item is null || item.GetValueKind() != JsonValueKind.Number || !item.GetValue<JsonElement>().TryGetInt32(out int v))
                throw ApiException.BadRequest($"'{name}' must be an array of integers", name);
            if (v < min || v > max) throw ApiException.BadRequest($"'{name}' holds {v}, outside [{min}, {max}]", name);
            r[i] = v;
        }
        return r;
    }

    public static ApiException TypeError(string name, string expected, JsonNode got) =>
        ApiException.BadRequest($"'{name}' must be {expected}, got {KindName(got)}", name);
}
