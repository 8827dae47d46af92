namespace Tokamak.Text.Templates;

/// <summary>A variable frame. Loops and macro calls open child frames, so their <c>set</c>s do not leak out.</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, JinjaValue> _vars = new(StringComparer.Ordinal);

    public JinjaScope? Parent { get; } = parent;

    public JinjaValue Lookup(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out var v)) return v;
        return new JinjaUndefined(name);
    }

    public void Set(string name, JinjaValue value) => _vars[name] = value;
}
