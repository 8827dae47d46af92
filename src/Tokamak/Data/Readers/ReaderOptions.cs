namespace Tokamak.Data.Readers;

/// <summary>What a reader does with a malformed line or row.</summary>
public enum ErrorPolicy
{
    /// <summary>Throw <see cref="InvalidDataException"/> naming file and line.</summary>
    Fail,
    /// <summary>Count it in <see cref="ReaderStats.Skipped"/>, remember the message, and continue.</summary>
    Skip,
}

/// <summary>How plain-text files are cut into documents.</summary>
public enum TextSplit
{
    /// <summary>Every non-empty line is a document.</summary>
    Line,
    /// <summary>Runs of non-empty lines separated by blank lines are documents (lines joined with "\n").</summary>
    Paragraph,
}

/// <summary>Options shared by all record readers.</summary>
public sealed record ReaderOptions
{
    /// <summary>Malformed-record policy (default: fail).</summary>
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Fail;

    /// <summary>Document boundaries for .txt files.</summary>
    public TextSplit TextSplit { get; init; } = TextSplit.Line;

    /// <summary>Field name plain-text documents are stored under (LLaMA-Factory uses "text").</summary>
    public string TextField { get; init; } = "text";

    /// <summary>CSV field separator.</summary>
    public char CsvDelimiter { get; init; } = ',';
}
