namespace Tokamak.Text.Templates;

/// <summary>
/// A template failed to parse or render. <see cref="Line"/>/<see cref="Column"/> (1-based) point into the template
/// source; both are 0 when unknown. When the template itself called <c>raise_exception(msg)</c>,
/// <see cref="RaisedByTemplate"/> is true and <see cref="Exception.Message"/> is exactly <c>msg</c>.
/// </summary>
public sealed class TemplateException : Exception
{
    /// <summary>1-based line of the offending construct, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending construct, 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>True when the template called <c>raise_exception</c>.</summary>
    public bool RaisedByTemplate { get; }

    /// <summary>Creates an error at a template position.</summary>
    public TemplateException(string message, int line, int column, bool raisedByTemplate = false)
        : base(raisedByTemplate || line <= 0 ? message : $"{message} (line {line}, column {column})")
    {
        Line = line;
        Column = column;
        RaisedByTemplate = raisedByTemplate;
    }
}

/// <summary>A runtime error raised below the interpreter (filters, methods); the interpreter adds the position.</summary>
internal sealed class JinjaRuntimeError(string message, bool raisedByTemplate = false) : Exception(message)
{
    /// <summary>True when this is the template's own <c>raise_exception</c>.</summary>
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
