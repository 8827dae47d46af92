namespace Tokamak.Server.Tools;

/// <summary>
/// Recognizes tool calls in a model's output text, in the format its chat template taught it. A parser creates one
/// <see cref="IToolCallStream"/> per choice, which is fed text deltas as they are generated.
/// </summary>
public interface IToolCallParser
{
    /// <summary>A fresh stream for one choice.</summary>
    IToolCallStream Start();
}

/// <summary>Splits streamed output into plain content and complete tool calls.</summary>
public interface IToolCallStream
{
    /// <summary>Consumes <paramref name="delta"/>; appends whatever can be released to <paramref name="output"/>.</summary>
    void Push(string delta, List<ToolStreamItem> output);

    /// <summary>End of output: releases what was held back (an unterminated call is parsed if it is valid JSON).</summary>
    void Flush(List<ToolStreamItem> output);

    /// <summary>Number of tool calls found so far.</summary>
    int CallCount { get; }
}

/// <summary>A piece of parsed output.</summary>
public abstract record ToolStreamItem;

/// <summary>Plain assistant text.</summary>
public sealed record ContentItem(string Text) : ToolStreamItem;

/// <summary>A complete call: function name and its arguments as a JSON text.</summary>
public sealed record ToolCallItem(string Name, string ArgumentsJson) : ToolStreamItem;
