using System.CommandLine;

namespace Tokamak.Cli;

/// <summary>Builds the <c>tokamak</c> command tree and turns every failure into one line on stderr.</summary>
internal static class CliApp
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Tokamak: run, serve, quantize and fine-tune LLMs in .NET");
        return root.Parse(args).Invoke();
    }
}
