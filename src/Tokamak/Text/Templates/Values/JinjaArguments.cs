namespace Tokamak.Text.Templates;

/// <summary>Arguments of a call, filter, test or method: positional then keyword (<c>f(a, b, key=c)</c>).</summary>
public sealed class JinjaArguments
{
    internal static readonly JinjaArguments Empty = new([], []);

    /// <summary>Positional arguments in order.</summary>
    public IReadOnlyList<JinjaValue> Positional { get; }

    /// <summary>Keyword arguments in order.</summary>
    public IReadOnlyList<KeyValuePair<string, JinjaValue>> Named { get; }

    internal JinjaArguments(IReadOnlyList<JinjaValue> positional, IReadOnlyList<KeyValuePair<string, JinjaValue>> named)
    {
        Positional = positional;
        Named = named;
    }

    internal static JinjaArguments Of(params JinjaValue[] positional) => new(positional, []);

    /// <summary>The argument at position <paramref name="index"/> or named <paramref name="name"/>, or null.</summary>
    public JinjaValue? Get(int index, string name)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var (k, v) in Named)
            if (k == name) return v;
        return null;
    }

    /// <summary>Like <see cref="Get(int, string)"/> with a fallback.</summary>
    public JinjaValue Get(int index, string name, JinjaValue fallback) => Get(index, name) ?? fallback;

    /// <summary>Rejects more than <paramref name="max"/> positional arguments or unknown keywords.</summary>
    internal void Check(string what, int max, params string[] names)
    {
        if (Positional.Count > max)
            throw new JinjaRuntimeError($"{what} takes at most {max} positional argument(s), got {Positional.Count}");
        foreach (var (k, _) in Named)
            if (Array.IndexOf(names, k) < 0)
                throw new JinjaRuntimeError($"{what} got an unexpected keyword argument '{k}'");
    }
}
