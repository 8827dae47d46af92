using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>Python semantics of the template operators: arithmetic, concatenation, membership, iteration.</summary>
internal static class JinjaOperations
{
    /// <summary>Cap on <c>str * n</c> / <c>list * n</c> results, so a template cannot exhaust memory.</summary>
    private const long MaxRepeat = 10_000_000;

    private static JinjaRuntimeError Unsupported(string op, JinjaValue a, JinjaValue b)
    {
        if (a is JinjaUndefined ua) return new JinjaRuntimeError(ua.Describe());
        if (b is JinjaUndefined ub) return new JinjaRuntimeError(ub.Describe());
        return new JinjaRuntimeError($"unsupported operand type(s) for {op}: '{a.TypeName}' and '{b.TypeName}'");
    }

    /// <summary>bool and int are both Python ints.</summary>
    public static bool TryInteger(JinjaValue v, out long value)
    {
        switch (v)
        {
            case JinjaInteger i: value = i.Value; return true;
            case JinjaBoolean b: value = b.Value ? 1 : 0; return true;
            default: value = 0; return false;
        }
    }

    public static JinjaValue Add(JinjaValue a, JinjaValue b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y)) return new JinjaInteger(Checked(() => checked(x + y)));
        if (PythonEquality.TryNumber(a, out double dx) && PythonEquality.TryNumber(b, out double dy)) return new JinjaFloat(dx + dy);
        if (a is JinjaString sa && b is JinjaString sb) return new JinjaString(string.Concat(sa.Value, sb.Value));
        if (a is JinjaList la && b is JinjaList lb && la.IsTuple == lb.IsTuple) return new JinjaList([.. la.Items, .. lb.Items], la.IsTuple);
        throw Unsupported("+", a, b);
    }

    public static JinjaValue Arithmetic(BinaryOp op, JinjaValue a, JinjaValue b)
    {
        switch (op)
        {
            case BinaryOp.Add: return Add(a, b);
            case BinaryOp.Concat: return new JinjaString(string.Concat(a.ToString(), b.ToString()));
            case BinaryOp.Multiply:
                if (a is JinjaString s && TryInteger(b, out long n)) return new JinjaString(Repeat(s.Value, n));
                if (b is JinjaString s2 && TryInteger(a, out long n2)) return new JinjaString(Repeat(s2.Value, n2));
                if (a is JinjaList l && TryInteger(b, out long n3))
                {
                    if (n3 > 0 && l.Items.Count * n3 > MaxRepeat) throw new JinjaRuntimeError("list repetition too large");
                    var items = new List<JinjaValue>();
                    for (long i = 0; i < n3; i++) items.AddRange(l.Items);
                    return new JinjaList(items, l.IsTuple);
                }
                break;
            case BinaryOp.Modulo when a is JinjaString fmt:
                return new JinjaString(PercentFormat.Format(fmt.Value, b));
        }
        if (TryInteger(a, out long x) && TryInteger(b, out long y))
        {
            switch (op)
            {
                case BinaryOp.Subtract: return new JinjaInteger(Checked(() => checked(x - y)));
                case BinaryOp.Multiply: return new JinjaInteger(Checked(() => checked(x * y)));
                case BinaryOp.Divide:
                    if (y == 0) throw new JinjaRuntimeError("division by zero");
                    return new JinjaFloat((double)x / y);
                case BinaryOp.FloorDivide:
                    if (y == 0) throw new JinjaRuntimeError("integer division or modulo by zero");
                    return new JinjaInteger(FloorDiv(x, y));
                case BinaryOp.Modulo:
                    if (y == 0) throw new JinjaRuntimeError("integer division or modulo by zero");
                    return new JinjaInteger(x - FloorDiv(x, y) * y);
                case BinaryOp.Power:
                    if (y >= 0)
                    {
                        long r = 1;
                        for (long i = 0; i < y; i++) r = Checked(() => checked(r * x));
                        return new JinjaInteger(r);
                    }
                    return new JinjaFloat(Math.Pow(x, y));
            }
        }
        if (PythonEquality.TryNumber(a, out double dx) && PythonEquality.TryNumber(b, out double dy))
        {
            switch (op)
            {
                case BinaryOp.Subtract: return new JinjaFloat(dx - dy);
                case BinaryOp.Multiply: return new JinjaFloat(dx * dy);
                case BinaryOp.Divide:
                    if (dy == 0) throw new JinjaRuntimeError("float division by zero");
                    return new JinjaFloat(dx / dy);
                case BinaryOp.FloorDivide:
                    if (dy == 0) throw new JinjaRuntimeError("float floor division by zero");
                    return new JinjaFloat(Math.Floor(dx / dy));
                case BinaryOp.Modulo:
                    if (dy == 0) throw new JinjaRuntimeError("float modulo");
                    double m = dx % dy;
                    if (m != 0 && (m < 0) != (dy < 0)) m += dy;
                    return new JinjaFloat(m);
                case BinaryOp.Power: return new JinjaFloat(Math.Pow(dx, dy));
            }
        }
        string sym = op switch
        {
            BinaryOp.Subtract => "-",
            BinaryOp.Multiply => "*",
            BinaryOp.Divide => "/",
            BinaryOp.FloorDivide => "//",
            BinaryOp.Modulo => "%",
            BinaryOp.Power => "**",
            _ => op.ToString(),
        };
        throw Unsupported(sym, a, b);
    }

    private static long Checked(Func<long> f)
    {
        try { return f(); }
        catch (OverflowException) { throw new JinjaRuntimeError("integer overflow (values beyond 64 bits are not supported)"); }
    }

    private static long FloorDiv(long x, long y)
    {
        long q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return q;
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0) return "";
        if (s.Length * n > MaxRepeat) throw new JinjaRuntimeError("string repetition too large");
        var sb = new StringBuilder(s.Length * (int)n);
        for (long i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }

    public static JinjaValue Negate(JinjaValue v) => v switch
    {
        JinjaInteger i => new JinjaInteger(-i.Value),
        JinjaBoolean b => new JinjaInteger(b.Value ? -1 : 0),
        JinjaFloat f => new JinjaFloat(-f.Value),
        JinjaUndefined u => throw new JinjaRuntimeError(u.Describe()),
        _ => throw new JinjaRuntimeError($"bad operand type for unary -: '{v.TypeName}'"),
    };

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(JinjaValue container, JinjaValue item)
    {
        switch (container)
        {
            case JinjaString s:
                if (item is not JinjaString needle)
                    throw new JinjaRuntimeError($"'in <string>' requires string as left operand, not {item.TypeName}");
                return s.Value.Contains(needle.Value, StringComparison.Ordinal);
            case JinjaList l:
                foreach (var x in l.Items)
                    if (PythonEquality.Instance.Equals(x, item)) return true;
                return false;
            case JinjaDict d: return d.Entries.ContainsKey(item);
            case JinjaNamespace ns: return item is JinjaString k && ns.Attributes.ContainsKey(k.Value);
            case JinjaUndefined: return false;
            default: throw new JinjaRuntimeError($"argument of type '{container.TypeName}' is not iterable");
        }
    }

    /// <summary>What <c>for x in value</c> walks: list items, dict keys, string code points; undefined is empty.</summary>
    public static List<JinjaValue> Iterate(JinjaValue v)
    {
        switch (v)
        {
            case JinjaList l: return l.Items;
            case JinjaDict d: return [.. d.Entries.Keys];
            case JinjaString s:
                var cps = PythonText.CodePoints(s.Value);
                var list = new List<JinjaValue>(cps.Count);
                foreach (var c in cps) list.Add(new JinjaString(c));
                return list;
            case JinjaUndefined: return [];
            default: throw new JinjaRuntimeError($"'{v.TypeName}' object is not iterable");
        }
    }

    /// <summary>Python <c>len()</c>.</summary>
    public static long Length(JinjaValue v) => v switch
    {
        JinjaString s => PythonText.Length(s.Value),
        JinjaList l => l.Items.Count,
        JinjaDict d => d.Entries.Count,
        JinjaNamespace ns => ns.Attributes.Count,
        JinjaUndefined => 0,
        _ => throw new JinjaRuntimeError($"object of type '{v.TypeName}' has no len()"),
    };

    public static string RequireString(JinjaValue v, string what) =>
        v is JinjaString s ? s.Value : throw new JinjaRuntimeError($"{what} must be a string, not '{v.TypeName}'");

    public static long RequireInteger(JinjaValue v, string what) =>
        TryInteger(v, out long n) ? n : throw new JinjaRuntimeError($"{what} must be an integer, not '{v.TypeName}'");
}
