using System.Security.Cryptography;
using System.Text;

namespace Tokamak.Server.Hosting;

/// <summary>Checks <c>Authorization: Bearer KEY</c> against the configured key in constant time.</summary>
internal sealed class ApiKeyCheck
{
    private readonly byte[]? _keyHash;

    public ApiKeyCheck(string? apiKey) => _keyHash = apiKey is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    public bool Enabled => _keyHash is not null;

    public bool IsAuthorized(HttpRequest request)
    {
        if (_keyHash is null) return true;
        string? header = request.Headers.Authorization;
        const string Bearer = "Bearer ";
        string given = header is not null && header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..].Trim() : "";
        // Hashing first makes the comparison length-independent as well as constant-time.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash);
    }
}
