using System.Text.Json.Nodes;

namespace Tokamak.Text.Templates;

/// <summary>
/// A template value with Python semantics (truthiness, <c>str()</c>, <c>repr()</c>). Kinds: none, undefined, boolean,
/// integer, float, string, list/tuple, dict (insertion ordered), namespace, callable.
/// </summary>
public abstract class JinjaValue
{
    private protected JinjaValue() { }

    /// <summary>Python <c>None</c>.</summary>
    public static JinjaValue None => JinjaNone.Instance;

    /// <summary>An anonymous undefined value (prints empty, is falsy, iterates empty).</summary>
    public static JinjaValue Undefined => JinjaUndefined.Anonymous;

    /// <summary>Python <c>True</c>.</summary>
    public static JinjaValue True => JinjaBoolean.TrueValue;

    /// <summary>Python <c>False</c>.</summary>
    public static JinjaValue False => JinjaBoolean.FalseValue;

    /// <summary>The Python type name, used in error messages.</summary>
    public abstract string TypeName { get; }

    /// <summary>Python truthiness (<c>bool(x)</c>).</summary>
    public abstract bool IsTruthy { get; }

    /// <summary>Python <c>str(x)</c>, which is what <c>{{ x }}</c> prints.</summary>
    public abstract override string ToString();

    /// <summary>Python <c>repr(x)</c>, used when the value is printed inside a list or dict.</summary>
    public virtual string ToRepr() => ToString();

    /// <summary>True for the undefined value.</summary>
    public bool IsUndefined => this is JinjaUndefined;

    /// <summary>True for <c>None</c>.</summary>
    public bool IsNone => this is JinjaNone;

    /// <summary>A string value.</summary>
    public static JinjaValue From(string? value) => value is null ? None : new JinjaString(value);

    /// <summary>A boolean value.</summary>
    public static JinjaValue From(bool value) => value ? True : False;

    /// <summary>An integer value.</summary>
    public static JinjaValue From(long value) => new JinjaInteger(value);

    /// <summary>A float value.</summary>
    public static JinjaValue From(double value) => new JinjaFloat(value);

    /// <summary>
    /// Converts System.Text.Json nodes the way Python's <c>json.loads</c> would: objects become insertion-ordered
    /// dicts, arrays lists, numbers without fraction/exponent integers, other numbers floats, null <c>None</c>.
    /// </summary>
    public static JinjaValue FromJson(JsonNode? node) => JinjaJson.FromNode(node);
}

/// <summary>Python <c>None</c>.</summary>
public sealed class JinjaNone : JinjaValue
{
    internal static readonly JinjaNone Instance = new();
    private JinjaNone() { }
    /// <inheritdoc/>
    public override string TypeName => "NoneType";
    /// <inheritdoc/>
    public override bool IsTruthy => false;
    /// <inheritdoc/>
    public override string ToString() => "None";
}

/// <summary>Jinja's default <c>Undefined</c>: prints empty, falsy, iterates empty, attribute access stays undefined.</summary>
public sealed class JinjaUndefined : JinjaValue
{
    internal static readonly JinjaUndefined Anonymous = new(null);

    /// <summary>What was looked up, for error messages (e.g. <c>'foo' is undefined</c>).</summary>
    public string? Name { get; }

    internal JinjaUndefined(string? name) => Name = name;
    /// <inheritdoc/>
    public override string TypeName => "Undefined";
    /// <inheritdoc/>
    public override bool IsTruthy => false;
    /// <inheritdoc/>
    public override string ToString() => "";
    /// <inheritdoc/>
    public override string ToRepr() => "Undefined";
    internal string Describe() => Name is null ? "value is undefined" : $"'{Name}' is undefined";
}

/// <summary>Python <c>bool</c>.</summary>
public sealed class JinjaBoolean : JinjaValue
{
    internal static readonly JinjaBoolean TrueValue = new(true);
    internal static readonly JinjaBoolean FalseValue = new(false);

    /// <summary>The value.</summary>
    public bool Value { get; }
    private JinjaBoolean(bool value) => Value = value;
    /// <inheritdoc/>
    public override string TypeName => "bool";
    /// <inheritdoc/>
    public override bool IsTruthy => Value;
    /// <inheritdoc/>
    public override string ToString() => Value ? "True" : "False";
}

/// <summary>Python <c>int</c> (64-bit here; overflow is an error).</summary>
public sealed class JinjaInteger(long value) : JinjaValue
{
    /// <summary>The value.</summary>
    public long Value { get; } = value;
    /// <inheritdoc/>
    public override string TypeName => "int";
    /// <inheritdoc/>
    public override bool IsTruthy => Value != 0;
    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Python <c>float</c>.</summary>
public sealed class JinjaFloat(double value) : JinjaValue
{
    /// <summary>The value.</summary>
    public double Value { get; } = value;
    /// <inheritdoc/>
    public override string TypeName => "float";
    /// <inheritdoc/>
    public override bool IsTruthy => Value != 0;
    /// <inheritdoc/>
    public override string ToString() => PythonFormat.FloatRepr(Value);
}

/// <summary>Python <c>str</c>.</summary>
public sealed class JinjaString(string value) : JinjaValue
{
    internal static readonly JinjaString Empty = new("");

    /// <summary>The value.</summary>
    public string Value { get; } = value;
    /// <inheritdoc/>
    public override string TypeName => "str";
    /// <inheritdoc/>
    public override bool IsTruthy => Value.Length != 0;
    /// <inheritdoc/>
    public override string ToString() => Value;
    /// <inheritdoc/>
    public override string ToRepr() => PythonFormat.StringRepr(Value);
}

/// <summary>Python <c>list</c> or <c>tuple</c>.</summary>
public sealed class JinjaList : JinjaValue
{
    /// <summary>The items (mutable only while building; templates cannot mutate lists).</summary>
    public List<JinjaValue> Items { get; }

    /// <summary>True for a tuple (prints with parentheses, compares unequal to a list).</summary>
    public bool IsTuple { get; }

    /// <summary>Wraps <paramref name="items"/>.</summary>
    public JinjaList(List<JinjaValue> items, bool isTuple = false)
    {
        Items = items;
        IsTuple = isTuple;
    }

    /// <inheritdoc/>
    public override string TypeName => IsTuple ? "tuple" : "list";
    /// <inheritdoc/>
    public override bool IsTruthy => Items.Count != 0;
    /// <inheritdoc/>
    public override string ToString() => ToRepr();

    /// <inheritdoc/>
    public override string ToRepr()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(IsTuple ? '(' : '[');
        for (int i = 0; i < Items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Items[i].ToRepr());
        }
        if (IsTuple && Items.Count == 1) sb.Append(',');
        sb.Append(IsTuple ? ')' : ']');
        return sb.ToString();
    }
}

/// <summary>Python <c>dict</c> with insertion order and Python key equality (<c>1 == 1.0 == True</c>).</summary>
public sealed class JinjaDict : JinjaValue
{
    /// <summary>The entries in insertion order.</summary>
    public OrderedDictionary<JinjaValue, JinjaValue> Entries { get; }

    /// <summary>An empty dict.</summary>
    public JinjaDict() => Entries = new OrderedDictionary<JinjaValue, JinjaValue>(PythonEquality.Instance);

    /// <summary>Looks up a string key.</summary>
    public bool TryGet(string key, out JinjaValue value)
    {
        if (Entries.TryGetValue(new JinjaString(key), out var v)) { value = v; return true; }
        value = JinjaValue.Undefined;
        return false;
    }

    /// <summary>Sets a string key.</summary>
    public void Set(string key, JinjaValue value) => Entries[new JinjaString(key)] = value;

    /// <inheritdoc/>
    public override string TypeName => "dict";
    /// <inheritdoc/>
    public override bool IsTruthy => Entries.Count != 0;
    /// <inheritdoc/>
    public override string ToString() => ToRepr();

    /// <inheritdoc/>
    public override string ToRepr()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append('{');
        bool first = true;
        foreach (var (k, v) in Entries)
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(k.ToRepr()).Append(": ").Append(v.ToRepr());
        }
        return sb.Append('}').ToString();
    }
}

/// <summary>The object <c>namespace(...)</c> returns: the one value whose attributes templates may assign.</summary>
public sealed class JinjaNamespace : JinjaValue
{
    /// <summary>The attributes.</summary>
    public Dictionary<string, JinjaValue> Attributes { get; } = new(StringComparer.Ordinal);
    /// <inheritdoc/>
    public override string TypeName => "Namespace";
    /// <inheritdoc/>
    public override bool IsTruthy => true;

    /// <inheritdoc/>
    public override string ToString()
    {
        var d = new JinjaDict();
        foreach (var (k, v) in Attributes) d.Set(k, v);
        return "<Namespace " + d.ToRepr() + ">";
    }
}

/// <summary>A function value: globals (<c>range</c>, <c>raise_exception</c>), macros, <c>caller</c>, bound methods.</summary>
public sealed class JinjaCallable : JinjaValue
{
    /// <summary>Name for messages.</summary>
    public string Name { get; }
    internal Func<JinjaArguments, JinjaValue> Invoke { get; }
    internal bool IsMacro { get; }

    internal JinjaCallable(string name, Func<JinjaArguments, JinjaValue> invoke, bool isMacro = false)
    {
        Name = name;
        Invoke = invoke;
        IsMacro = isMacro;
    }

    /// <inheritdoc/>
    public override string TypeName => "function";
    /// <inheritdoc/>
    public override bool IsTruthy => true;
    /// <inheritdoc/>
    public override string ToString() => $"<function {Name}>";
}
