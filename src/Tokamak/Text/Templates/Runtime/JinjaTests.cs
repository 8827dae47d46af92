namespace Tokamak.Text.Templates;

/// <summary>A test: <c>value is name(args)</c>.</summary>
internal delegate bool JinjaTest(JinjaValue value, JinjaArguments args);

/// <summary>Jinja2's built-in tests, with Python's type rules (bool counts as a number but not as an integer).</summary>
internal static class JinjaTests
{
    private static JinjaValue Arg(JinjaArguments a, string what) =>
        a.Get(0, "other") ?? a.Get(0, "value") ?? throw new JinjaRuntimeError($"test '{what}' needs an argument");

    private static readonly JinjaTest Eq = (v, a) => PythonEquality.Instance.Equals(v, Arg(a, "eq"));
    private static readonly JinjaTest Ne = (v, a) => !PythonEquality.Instance.Equals(v, Arg(a, "ne"));
    private static readonly JinjaTest Lt = (v, a) => PythonEquality.Compare(v, Arg(a, "lt")) < 0;
    private static readonly JinjaTest Le = (v, a) => PythonEquality.Compare(v, Arg(a, "le")) <= 0;
    private static readonly JinjaTest Gt = (v, a) => PythonEquality.Compare(v, Arg(a, "gt")) > 0;
    private static readonly JinjaTest Ge = (v, a) => PythonEquality.Compare(v, Arg(a, "ge")) >= 0;

    private static readonly Dictionary<string, JinjaTest> All = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not JinjaUndefined,
        ["undefined"] = (v, _) => v is JinjaUndefined,
        ["none"] = (v, _) => v is JinjaNone,
        ["boolean"] = (v, _) => v is JinjaBoolean,
        ["true"] = (v, _) => v is JinjaBoolean { Value: true },
        ["false"] = (v, _) => v is JinjaBoolean { Value: false },
        ["integer"] = (v, _) => v is JinjaInteger,
        ["float"] = (v, _) => v is JinjaFloat,
        ["number"] = (v, _) => v is JinjaInteger or JinjaFloat or JinjaBoolean,
        ["string"] = (v, _) => v is JinjaString,
        ["mapping"] = (v, _) => v is JinjaDict,
        ["iterable"] = (v, _) => v is JinjaString or JinjaList or JinjaDict or JinjaUndefined,
        ["sequence"] = (v, _) => v is JinjaString or JinjaList or JinjaDict or JinjaUndefined,
        ["callable"] = (v, _) => v is JinjaCallable,
        ["even"] = (v, _) => JinjaOperations.RequireInteger(v, "even test value") % 2 == 0,
        ["odd"] = (v, _) => JinjaOperations.RequireInteger(v, "odd test value") % 2 != 0,
        ["divisibleby"] = (v, a) =>
        {
            long n = JinjaOperations.RequireInteger(a.Get(0, "num") ?? throw new JinjaRuntimeError("divisibleby needs an argument"), "divisibleby argument");
            if (n == 0) throw new JinjaRuntimeError("integer division or modulo by zero");
            return JinjaOperations.RequireInteger(v, "divisibleby value") % n == 0;
        },
        ["lower"] = (v, _) => v.ToString() is var s && s.Any(char.IsLower) && !s.Any(char.IsUpper),
        ["upper"] = (v, _) => v.ToString() is var s && s.Any(char.IsUpper) && !s.Any(char.IsLower),
        ["sameas"] = (v, a) => SameAs(v, Arg(a, "sameas")),
        ["in"] = (v, a) => JinjaOperations.Contains(a.Get(0, "seq") ?? throw new JinjaRuntimeError("test 'in' needs an argument"), v),
        ["escaped"] = (_, _) => false,
        ["filter"] = (v, _) => v is JinjaString s && JinjaFilters.Find(s.Value) is not null,
        ["test"] = (v, _) => v is JinjaString s && All!.ContainsKey(s.Value),
        ["eq"] = Eq, ["equalto"] = Eq, ["=="] = Eq,
        ["ne"] = Ne, ["!="] = Ne,
        ["lt"] = Lt, ["lessthan"] = Lt, ["<"] = Lt,
        ["le"] = Le, ["<="] = Le,
        ["gt"] = Gt, ["greaterthan"] = Gt, [">"] = Gt,
        ["ge"] = Ge, [">="] = Ge,
    };

    public static JinjaTest? Find(string name) => All.GetValueOrDefault(name);

    /// <summary>Python <c>is</c>: identity, where equal literals (interned strings, small ints) count as identical.</summary>
    private static bool SameAs(JinjaValue a, JinjaValue b) => ReferenceEquals(a, b) || (a, b) switch
    {
        (JinjaNone, JinjaNone) => true,
        (JinjaString x, JinjaString y) => x.Value == y.Value,
        (JinjaInteger x, JinjaInteger y) => x.Value == y.Value,
        _ => false,
    };
}
