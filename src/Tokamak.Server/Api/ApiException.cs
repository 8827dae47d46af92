namespace Tokamak.Server.Api;

/// <summary>A request failure reported to the client as OpenAI error JSON with <see cref="Status"/>.</summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the error; <paramref name="param"/> names the offending request field, if any.</summary>
    public ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    /// <summary>HTTP status.</summary>
    public int Status { get; }

    /// <summary>OpenAI error type, e.g. <c>invalid_request_error</c>.</summary>
    public string Type { get; }

    /// <summary>The request field at fault.</summary>
    public string? Param { get; }

    /// <summary>Machine-readable code, e.g. <c>context_length_exceeded</c>.</summary>
    public string? Code { get; }

    /// <summary>400 naming <paramref name="param"/>.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param: param, code: code);
}
