using System.CommandLine;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak data</c>: prepare datasets into tokenized shards, or inspect how examples render.</summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "Prepare datasets (read, unify, filter, render, tokenize) or inspect rendered examples")
    {
        DataPrepareCommand.Create(),
        DataInspectCommand.Create(),
    };
}
