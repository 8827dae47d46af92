using System.CommandLine;
using Tokamak.Cli.Commands;

namespace Tokamak.Cli;

/// <summary>Builds the <c>tokamak</c> command tree and turns every failure into one line on stderr.</summary>
internal static class CliApp
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Tokamak: run, serve, quantize and fine-tune LLMs in .NET")
        {
            GenerateCommand.Create(),
            ChatCommand.Create(),
            TokenizeCommand.Create(),
            InfoCommand.Create(),
            BenchCommand.Create(),
            SynthCommand.Create(),
            PerplexityCommand.Create(),
            TrainCommand.Create(),
            ServeCommand.Create(),
            QuantizeCommand.Create(),
            CorpusCommand.Create(),
            EvalCommand.Create(),
            RooflineCommand.Create(),
            GptqCommand.Create(),
            DataCommand.Create(),
            RecipeCommand.Create(),
            SmoothQuantCommand.Create(),
        };
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string cmd = parsed.CommandResult.Command.Name;
            Console.Error.WriteLine($"tokamak: error: {parsed.Errors[0].Message} (see 'tokamak {(cmd == root.Name ? "" : cmd + " ")}--help')");
            return 2;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    /// <summary>Prints one line for <paramref name="e"/> (the stack trace only with TOKAMAK_DEBUG=1) and picks the exit code.</summary>
    public static int Fail(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        if (e is OperationCanceledException)
        {
            Console.Error.WriteLine("tokamak: cancelled");
            return 130;
        }
        string message = e.Message.ReplaceLineEndings(" ");
        bool expected = e is IOException or InvalidDataException or NotSupportedException or ArgumentException
            or UnauthorizedAccessException or InvalidOperationException or FormatException or System.Text.Json.JsonException or CliException;
        Console.Error.WriteLine(expected ? $"tokamak: error: {message}" : $"tokamak: internal error ({e.GetType().Name}): {message}");
        if (Environment.GetEnvironmentVariable("TOKAMAK_DEBUG") == "1") Console.Error.WriteLine(e);
        return expected ? 1 : 70;
    }
}

/// <summary>A user-facing error whose message is the whole story.</summary>
internal sealed class CliException(string message) : Exception(message);
