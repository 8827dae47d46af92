using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>
/// A parsed Jinja2 template (the subset Hugging Face chat templates use), configured like transformers'
/// chat-template environment: <c>trim_blocks</c>, <c>lstrip_blocks</c>, loop controls, no autoescaping, and the
/// globals <c>raise_exception</c>/<c>strftime_now</c>. Parse once; <see cref="Render"/> is thread-safe.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly Node[] _nodes;

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <exception cref="TemplateException">Syntax error, unknown tag/filter/test (with line and column).</exception>
    public JinjaTemplate(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        _nodes = JinjaParser.Parse(source);
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>Renders with <paramref name="variables"/> as the template context.</summary>
    /// <param name="variables">Top-level names; null for none.</param>
    /// <param name="time">Clock for <c>strftime_now</c> (local time); <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="TemplateException">A runtime error or the template's own <c>raise_exception</c>.</exception>
    public string Render(IReadOnlyDictionary<string, JinjaValue>? variables = null, TimeProvider? time = null)
    {
        var globals = new JinjaScope(null);
        JinjaGlobals.AddTo(globals, time ?? TimeProvider.System);
        var context = new JinjaScope(globals);
        if (variables is not null)
            foreach (var (k, v) in variables) context.Set(k, v);
        var output = new StringBuilder(Source.Length * 2);
        new JinjaRenderer().Render(_nodes, new JinjaScope(context), output);
        return output.ToString();
    }
}
