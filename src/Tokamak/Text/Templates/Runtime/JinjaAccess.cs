namespace Tokamak.Text.Templates;

/// <summary>
/// Attribute (<c>x.name</c>) and subscript (<c>x[key]</c>, <c>x[a:b:c]</c>) lookup with Jinja's rules: attribute
/// access prefers methods then keys, subscripts prefer keys then methods, and misses give undefined.
/// </summary>
internal static class JinjaAccess
{
    public static JinjaValue GetAttribute(JinjaValue target, string name)
    {
        switch (target)
        {
            case JinjaDict d:
                if (JinjaMethods.Has(target, name)) return JinjaMethods.Bind(target, name);
                return d.TryGet(name, out var v) ? v : new JinjaUndefined(name);
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : new JinjaUndefined(name);
            case JinjaLoop loop:
                return loop.GetAttribute(name);
            default:
                return JinjaMethods.Has(target, name) ? JinjaMethods.Bind(target, name) : new JinjaUndefined(name);
        }
    }

    public static JinjaValue GetItem(JinjaValue target, JinjaValue key)
    {
        switch (target)
        {
            case JinjaDict d:
                if (d.Entries.TryGetValue(key, out var v)) return v;
                break;
            case JinjaList l when JinjaOperations.TryInteger(key, out long i):
                if (i < 0) i += l.Items.Count;
                return i >= 0 && i < l.Items.Count ? l.Items[(int)i] : JinjaValue.Undefined;
            case JinjaString s when JinjaOperations.TryInteger(key, out long i):
                return PythonText.Index(s.Value, i) is { } ch ? new JinjaString(ch) : JinjaValue.Undefined;
            case JinjaUndefined:
                return JinjaValue.Undefined;
        }
        return key is JinjaString name ? GetAttribute(target, name.Value) : JinjaValue.Undefined;
    }

    public static JinjaValue Slice(JinjaValue target, JinjaValue? start, JinjaValue? stop, JinjaValue? step)
    {
        long? a = Bound(start), b = Bound(stop), c = Bound(step);
        switch (target)
        {
            case JinjaString s:
                return new JinjaString(PythonText.Slice(s.Value, a, b, c));
            case JinjaList l:
                var items = new List<JinjaValue>();
                foreach (int i in PythonText.SliceIndices(l.Items.Count, a, b, c)) items.Add(l.Items[i]);
                return new JinjaList(items, l.IsTuple);
            case JinjaUndefined:
                return JinjaValue.Undefined;
            default:
                throw new JinjaRuntimeError($"'{target.TypeName}' object is not subscriptable");
        }
    }

    private static long? Bound(JinjaValue? v) => v is null or JinjaNone ? null : JinjaOperations.RequireInteger(v, "slice index");
}
