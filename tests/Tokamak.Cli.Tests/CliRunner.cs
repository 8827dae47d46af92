using System.Diagnostics;

namespace Tokamak.Cli.Tests;

/// <summary>Runs the real <c>tokamak</c> CLI (the built Tokamak.Cli.dll) as a child process.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunWithInput(null, args);

    public static Result RunWithInput(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tokamak.Cli.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["TOKAMAK_DEBUG"] = "0";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tokamak {string.Join(' ', args)} hung");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts a failure was reported the CLI way: non-zero exit, one line on stderr, no stack trace.</summary>
    public static void AssertOneLineError(Result r, string mustContain)
    {
        Assert.NotEqual(0, r.ExitCode);
        // Informational lines (build, load) may precede the error; the error itself is one line.
        string err = string.Join("\n", r.Stderr.Trim().Split('\n')
            .Where(l => !l.StartsWith("tokamak: loaded ", StringComparison.Ordinal) && !l.StartsWith("tokamak: building", StringComparison.Ordinal)));
        Assert.DoesNotContain("\n", err);
        Assert.DoesNotContain("   at ", err);
        Assert.StartsWith("tokamak: error:", err);
        Assert.Contains(mustContain, err, StringComparison.OrdinalIgnoreCase);
    }
}
