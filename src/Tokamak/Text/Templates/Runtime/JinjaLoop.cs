namespace Tokamak.Text.Templates;

/// <summary>The <c>loop</c> variable inside a for block; one instance per loop, advanced in place per iteration.</summary>
internal sealed class JinjaLoop(List<JinjaValue> items, int depth) : JinjaValue
{
    private JinjaValue? _lastChanged;

    public int Index0 { get; set; }

    public override string TypeName => "LoopContext";
    public override bool IsTruthy => true;
    public override string ToString() => $"<LoopContext {Index0 + 1}/{items.Count}>";

    public JinjaValue GetAttribute(string name)
    {
        int n = items.Count;
        return name switch
        {
            "index" => new JinjaInteger(Index0 + 1),
            "index0" => new JinjaInteger(Index0),
            "revindex" => new JinjaInteger(n - Index0),
            "revindex0" => new JinjaInteger(n - Index0 - 1),
            "first" => From(Index0 == 0),
            "last" => From(Index0 == n - 1),
            "length" => new JinjaInteger(n),
            "depth" => new JinjaInteger(depth),
            "depth0" => new JinjaInteger(depth - 1),
            "previtem" => Index0 > 0 ? items[Index0 - 1] : new JinjaUndefined("there is no previous item"),
            "nextitem" => Index0 + 1 < n ? items[Index0 + 1] : new JinjaUndefined("there is no next item"),
            "cycle" => new JinjaCallable("loop.cycle", args =>
            {
                if (args.Positional.Count == 0) throw new JinjaRuntimeError("loop.cycle() needs at least one argument");
                return args.Positional[Index0 % args.Positional.Count];
            }),
            "changed" => new JinjaCallable("loop.changed", args =>
            {
                var value = new JinjaList([.. args.Positional], true);
                bool changed = _lastChanged is null || !PythonEquality.Instance.Equals(_lastChanged, value);
                _lastChanged = value;
                return From(changed);
            }),
            _ => new JinjaUndefined("loop." + name),
        };
    }
}
