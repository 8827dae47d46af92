using System.Text.Json;

namespace Tokamak.Server.Api;

/// <summary>Writes <c>{"error":{"message","type","param","code"}}</c> responses.</summary>
internal static class ErrorWriter
{
    public static byte[] Json(string message, string type, string? param, string? code)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", type);
            if (param is null) w.WriteNull("param"); else w.WriteString("param", param);
            if (code is null) w.WriteNull("code"); else w.WriteString("code", code);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    public static async Task WriteAsync(HttpContext ctx, int status, string message, string type, string? param = null, string? code = null, int? retryAfterSeconds = null)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        ctx.Response.StatusCode = status;
        if (retryAfterSeconds is int s) ctx.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(Json(message, type, param, code), ctx.RequestAborted);
    }

    public static Task WriteAsync(HttpContext ctx, ApiException e, int? retryAfterSeconds = null) =>
        WriteAsync(ctx, e.Status, e.Message, e.Type, e.Param, e.Code, retryAfterSeconds);
}
