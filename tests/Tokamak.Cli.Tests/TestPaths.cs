namespace Tokamak.Cli.Tests;

/// <summary>Locates the read-only <c>shared/</c> fixtures folder that sits beside the checkout.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> SharedDir = new(() =>
    {
        var env = Environment.GetEnvironmentVariable("TOKAMAK_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "reference"))) return candidate;
        }
        throw new DirectoryNotFoundException("shared/ fixtures not found beside the checkout (set TOKAMAK_SHARED)");
    });

    /// <summary>The shared folder.</summary>
    public static string Shared => SharedDir.Value;

    /// <summary>A path under shared/models.</summary>
    public static string Model(string relative) => Path.Combine(Shared, "models", relative);

    /// <summary>A path under shared/reference.</summary>
    public static string Reference(string relative) => Path.Combine(Shared, "reference", relative);

    /// <summary>A path under shared/tokenizers.</summary>
    public static string Tokenizer(string relative) => Path.Combine(Shared, "tokenizers", relative);
}
