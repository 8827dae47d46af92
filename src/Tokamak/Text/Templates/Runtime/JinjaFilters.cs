using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tokamak.Text.Templates;

/// <summary>A filter: <c>value | name(args)</c>.</summary>
internal delegate JinjaValue JinjaFilter(JinjaValue value, JinjaArguments args);

/// <summary>
/// Jinja2's built-in filters (the subset chat templates use) with Jinja's argument names and defaults, plus
/// Hugging Face's <c>tojson</c> (plain <c>json.dumps(ensure_ascii=False)</c>, no HTML escaping).
/// </summary>
internal static partial class JinjaFilters
{
    private static readonly Dictionary<string, JinjaFilter> All = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = (v, a) => JinjaAccess.GetAttribute(v, JinjaOperations.RequireString(a.Get(0, "name", JinjaValue.Undefined), "attr name")),
        ["batch"] = Batch,
        ["capitalize"] = (v, _) => new JinjaString(PythonText.Capitalize(v.ToString())),
        ["center"] = (v, a) => JinjaMethods.TryCall(new JinjaString(v.ToString()), "center", JinjaArguments.Of(a.Get(0, "width", new JinjaInteger(80))), out var r) ? r : v,
        ["count"] = Length,
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, _) => new JinjaString(Escape(v.ToString())),
        ["e"] = (v, _) => new JinjaString(Escape(v.ToString())),
        ["forceescape"] = (v, _) => new JinjaString(Escape(v.ToString())),
        ["first"] = (v, _) => JinjaOperations.Iterate(v) is { Count: > 0 } l ? l[0] : new JinjaUndefined("first item of empty sequence"),
        ["last"] = (v, _) => JinjaOperations.Iterate(v) is { Count: > 0 } l ? l[^1] : new JinjaUndefined("last item of empty sequence"),
        ["float"] = ToFloat,
        ["format"] = (v, a) => new JinjaString(PercentFormat.Format(v.ToString(), new JinjaList([.. a.Positional], true))),
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = (v, _) => v is JinjaUndefined ? new JinjaList([]) : v is JinjaDict d
            ? JinjaMethods.TryCall(d, "items", JinjaArguments.Empty, out var r) ? r : v
            : throw new JinjaRuntimeError($"items filter needs a mapping, got '{v.TypeName}'"),
        ["join"] = Join,
        ["length"] = Length,
        ["list"] = (v, _) => new JinjaList([.. JinjaOperations.Iterate(v)]),
        ["lower"] = (v, _) => new JinjaString(v.ToString().ToLowerInvariant()),
        ["map"] = Map,
        ["max"] = (v, a) => MinMax(v, a, max: true),
        ["min"] = (v, a) => MinMax(v, a, max: false),
        ["reject"] = (v, a) => SelectOrReject(v, a, attribute: false, keep: false),
        ["rejectattr"] = (v, a) => SelectOrReject(v, a, attribute: true, keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (v, _) => v,
        ["select"] = (v, a) => SelectOrReject(v, a, attribute: false, keep: true),
        ["selectattr"] = (v, a) => SelectOrReject(v, a, attribute: true, keep: true),
        ["sort"] = Sort,
        ["string"] = (v, _) => new JinjaString(v.ToString()),
        ["sum"] = Sum,
        ["title"] = (v, _) => new JinjaString(Title(v.ToString())),
        ["tojson"] = ToJson,
        ["trim"] = (v, a) => new JinjaString(PythonText.Strip(v.ToString(), a.Get(0, "chars") is JinjaString c ? c.Value : null, true, true)),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["upper"] = (v, _) => new JinjaString(v.ToString().ToUpperInvariant()),
        ["wordcount"] = (v, _) => new JinjaInteger(WordRegex().Count(v.ToString())),
    };

    public static JinjaFilter? Find(string name) => All.GetValueOrDefault(name);

    public static JinjaValue Apply(string name, JinjaValue value, JinjaArguments args) =>
        (Find(name) ?? throw new JinjaRuntimeError($"no filter named '{name}'"))(value, args);

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningSplit();

    private static bool Flag(JinjaArguments a, int index, string name) => a.Get(index, name) is { IsTruthy: true };

    private static JinjaValue Abs(JinjaValue v, JinjaArguments _) => v switch
    {
        JinjaInteger i => new JinjaInteger(Math.Abs(i.Value)),
        JinjaBoolean b => new JinjaInteger(b.Value ? 1 : 0),
        JinjaFloat f => new JinjaFloat(Math.Abs(f.Value)),
        _ => throw new JinjaRuntimeError($"bad operand type for abs(): '{v.TypeName}'"),
    };

    private static JinjaValue Length(JinjaValue v, JinjaArguments _) => new JinjaInteger(JinjaOperations.Length(v));

    private static JinjaValue Default(JinjaValue v, JinjaArguments a)
    {
        bool boolean = Flag(a, 1, "boolean");
        if (v is JinjaUndefined || (boolean && !v.IsTruthy)) return a.Get(0, "default_value", JinjaString.Empty);
        return v;
    }

    /// <summary>HTML escaping as markupsafe does it.</summary>
    public static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
        .Replace("\"", "&#34;").Replace("'", "&#39;");

    /// <summary>Jinja's <c>title</c> filter: capitalize each piece after runs of <c>-</c>, whitespace or opening brackets.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var item in WordBeginningSplit().Split(s))
            if (item.Length > 0) sb.Append(char.ToUpperInvariant(item[0])).Append(item[1..].ToLowerInvariant());
        return sb.ToString();
    }

    private static JinjaValue ToFloat(JinjaValue v, JinjaArguments a)
    {
        var fallback = a.Get(0, "default", new JinjaFloat(0));
        switch (v)
        {
            case JinjaFloat: return v;
            case JinjaInteger i: return new JinjaFloat(i.Value);
            case JinjaBoolean b: return new JinjaFloat(b.Value ? 1 : 0);
            case JinjaString s when TryParseFloat(s.Value, out double d): return new JinjaFloat(d);
            default: return fallback;
        }
    }

    private static bool TryParseFloat(string s, out double d)
    {
        s = s.Trim().Replace("_", "");
        string lower = s.ToLowerInvariant();
        if (lower is "inf" or "+inf" or "infinity" or "+infinity") { d = double.PositiveInfinity; return true; }
        if (lower is "-inf" or "-infinity") { d = double.NegativeInfinity; return true; }
        if (lower is "nan" or "+nan" or "-nan") { d = double.NaN; return true; }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static JinjaValue ToInt(JinjaValue v, JinjaArguments a)
    {
        var fallback = a.Get(0, "default", new JinjaInteger(0));
        int numberBase = (int)JinjaOperations.RequireInteger(a.Get(1, "base", new JinjaInteger(10)), "int base");
        switch (v)
        {
            case JinjaInteger: return v;
            case JinjaBoolean b: return new JinjaInteger(b.Value ? 1 : 0);
            case JinjaFloat f: return double.IsFinite(f.Value) ? new JinjaInteger((long)Math.Truncate(f.Value)) : fallback;
            case JinjaString s:
                string text = s.Value.Trim().Replace("_", "");
                if (numberBase == 10 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return new JinjaInteger(l);
                if (numberBase != 10)
                {
                    try { return new JinjaInteger(Convert.ToInt64(text.StartsWith("0x") || text.StartsWith("0b") || text.StartsWith("0o") ? text[2..] : text, numberBase)); }
                    catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { return fallback; }
                }
                return TryParseFloat(text, out double d) && double.IsFinite(d) ? new JinjaInteger((long)Math.Truncate(d)) : fallback;
            default: return fallback;
        }
    }

    private static JinjaValue Indent(JinjaValue v, JinjaArguments a)
    {
        var widthArg = a.Get(0, "width", new JinjaInteger(4));
        string indention = widthArg is JinjaString ws ? ws.Value : new string(' ', (int)Math.Clamp(JinjaOperations.RequireInteger(widthArg, "indent width"), 0, 10_000));
        bool first = Flag(a, 1, "first"), blank = Flag(a, 2, "blank");
        // Jinja appends a newline before splitlines so a trailing newline survives.
        var lines = PythonText.SplitLines(v.ToString() + "\n");
        string rv;
        if (blank) rv = string.Join("\n" + indention, lines);
        else
        {
            var sb = new StringBuilder(lines.Count > 0 ? lines[0] : "");
            for (int i = 1; i < lines.Count; i++)
            {
                sb.Append('\n');
                if (lines[i].Length > 0) sb.Append(indention);
                sb.Append(lines[i]);
            }
            rv = sb.ToString();
        }
        return new JinjaString(first ? indention + rv : rv);
    }

    /// <summary>Jinja's attribute paths: <c>"a.b.0"</c> walks keys/attributes, digit parts index.</summary>
    private static Func<JinjaValue, JinjaValue> AttributeGetter(JinjaValue attribute, JinjaValue? fallback = null)
    {
        if (attribute is JinjaInteger) return item => JinjaAccess.GetItem(item, attribute);
        string path = JinjaOperations.RequireString(attribute, "attribute");
        var parts = path.Split('.');
        return item =>
        {
            var cur = item;
            foreach (var p in parts)
                cur = long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long i)
                    ? JinjaAccess.GetItem(cur, new JinjaInteger(i))
                    : JinjaAccess.GetItem(cur, new JinjaString(p));
            return fallback is not null && cur is JinjaUndefined ? fallback : cur;
        };
    }

    private static JinjaValue Join(JinjaValue v, JinjaArguments a)
    {
        string sep = a.Get(0, "d", JinjaString.Empty).ToString();
        var items = JinjaOperations.Iterate(v);
        var get = a.Get(1, "attribute") is { } attr ? AttributeGetter(attr) : null;
        var sb = new StringBuilder();
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(sep);
            sb.Append((get is null ? items[i] : get(items[i])).ToString());
        }
        return new JinjaString(sb.ToString());
    }

    private static JinjaValue Map(JinjaValue v, JinjaArguments a)
    {
        var items = JinjaOperations.Iterate(v);
        Func<JinjaValue, JinjaValue> f;
        if (a.Positional.Count == 0 && a.Get(-1, "attribute") is { } attr)
            f = AttributeGetter(attr, a.Get(-1, "default"));
        else
        {
            string name = JinjaOperations.RequireString(a.Get(0, "\0") ?? throw new JinjaRuntimeError("map needs a filter name or attribute="), "map filter name");
            var filter = Find(name) ?? throw new JinjaRuntimeError($"no filter named '{name}'");
            var rest = new JinjaArguments([.. a.Positional.Skip(1)], a.Named);
            f = item => filter(item, rest);
        }
        return new JinjaList(items.Select(f).ToList());
    }

    /// <summary>select/reject (<paramref name="keep"/> = test result to keep), on the item or on an attribute of it.</summary>
    private static JinjaValue SelectOrReject(JinjaValue v, JinjaArguments a, bool attribute, bool keep)
    {
        var items = JinjaOperations.Iterate(v);
        int offset = 0;
        Func<JinjaValue, JinjaValue> get = x => x;
        if (attribute)
        {
            get = AttributeGetter(a.Get(0, "\0") ?? throw new JinjaRuntimeError("selectattr/rejectattr need an attribute name"));
            offset = 1;
        }
        Func<JinjaValue, bool> predicate;
        if (a.Positional.Count > offset)
        {
            string testName = JinjaOperations.RequireString(a.Positional[offset], "test name");
            var test = JinjaTests.Find(testName) ?? throw new JinjaRuntimeError($"no test named '{testName}'");
            var rest = new JinjaArguments([.. a.Positional.Skip(offset + 1)], a.Named);
            predicate = x => test(x, rest);
        }
        else predicate = x => x.IsTruthy;
        var result = new List<JinjaValue>();
        foreach (var item in items)
            if (predicate(get(item)) == keep) result.Add(item);
        return new JinjaList(result);
    }

    private static JinjaValue Replace(JinjaValue v, JinjaArguments a)
    {
        string old = a.Get(0, "old", JinjaValue.Undefined).ToString();
        string repl = a.Get(1, "new", JinjaValue.Undefined).ToString();
        var count = a.Get(2, "count");
        long n = count is null or JinjaNone ? -1 : JinjaOperations.RequireInteger(count, "replace count");
        return new JinjaString(JinjaMethods.Replace(v.ToString(), old, repl, n));
    }

    private static JinjaValue Reverse(JinjaValue v, JinjaArguments _)
    {
        if (v is JinjaString s) return new JinjaString(PythonText.Slice(s.Value, null, null, -1));
        var items = new List<JinjaValue>(JinjaOperations.Iterate(v));
        items.Reverse();
        return new JinjaList(items);
    }

    private static JinjaValue Round(JinjaValue v, JinjaArguments a)
    {
        int precision = (int)JinjaOperations.RequireInteger(a.Get(0, "precision", new JinjaInteger(0)), "round precision");
        string method = a.Get(1, "method", new JinjaString("common")).ToString();
        if (!PythonEquality.TryNumber(v, out double d)) throw new JinjaRuntimeError($"round needs a number, got '{v.TypeName}'");
        if (method == "common" && v is JinjaInteger or JinjaBoolean && precision >= 0) return new JinjaInteger((long)d);
        double scale = Math.Pow(10, precision);
        double r = method switch
        {
            "common" => PythonRound(d, precision),
            "ceil" => Math.Ceiling(d * scale) / scale,
            "floor" => Math.Floor(d * scale) / scale,
            _ => throw new JinjaRuntimeError("round method must be 'common', 'ceil' or 'floor'"),
        };
        return new JinjaFloat(r);
    }

    /// <summary>
    /// Python's <c>round(x, n)</c>: half-to-even on the exact binary value, so <c>round(2.675, 2)</c> is 2.67
    /// (2.675 is stored as 2.67499…) while <c>round(0.125, 2)</c> is 0.12 (an exact tie).
    /// </summary>
    private static double PythonRound(double d, int precision)
    {
        if (!double.IsFinite(d)) return d;
        if (precision < 0)
        {
            double s = Math.Pow(10, -precision);
            return Math.Round(d / s, MidpointRounding.ToEven) * s;
        }
        precision = Math.Min(precision, 300);
        // .NET formats doubles exactly, so the digits past `precision` decide the rounding.
        string exact = Math.Abs(d).ToString("F" + (precision + 40), CultureInfo.InvariantCulture);
        int cut = exact.Length - 40;
        string kept = exact[..cut];
        string rest = exact[cut..];
        bool up = rest[0] > '5' || (rest[0] == '5' && (rest.AsSpan(1).ContainsAnyExcept('0') || LastDigitOdd(kept)));
        double r = double.Parse(kept, CultureInfo.InvariantCulture);
        if (up) r += Math.Pow(10, -precision);
        r = double.Parse(r.ToString("F" + precision, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return d < 0 ? -r : r;
    }

    private static bool LastDigitOdd(string digits)
    {
        for (int i = digits.Length - 1; i >= 0; i--)
            if (char.IsAsciiDigit(digits[i])) return (digits[i] - '0') % 2 == 1;
        return false;
    }

    /// <summary>Sort key: strings lower-cased unless case-sensitive (Jinja's ignore_case).</summary>
    private static Func<JinjaValue, JinjaValue> SortKey(JinjaValue? attribute, bool caseSensitive)
    {
        var get = attribute is null or JinjaNone ? (x => x) : AttributeGetter(attribute);
        return caseSensitive ? get : x => get(x) is JinjaString s ? new JinjaString(s.Value.ToLowerInvariant()) : get(x);
    }

    private static JinjaValue Sort(JinjaValue v, JinjaArguments a)
    {
        bool reverse = Flag(a, 0, "reverse"), caseSensitive = Flag(a, 1, "case_sensitive");
        var key = SortKey(a.Get(2, "attribute"), caseSensitive);
        var items = JinjaOperations.Iterate(v);
        var keyed = items.Select(x => (Key: key(x), Item: x)).ToList();
        var comparer = Comparer<JinjaValue>.Create(PythonEquality.Compare);
        var sorted = reverse ? keyed.OrderByDescending(p => p.Key, comparer) : keyed.OrderBy(p => p.Key, comparer);
        return new JinjaList(sorted.Select(p => p.Item).ToList());
    }

    private static JinjaValue DictSort(JinjaValue v, JinjaArguments a)
    {
        if (v is not JinjaDict d) throw new JinjaRuntimeError($"dictsort needs a mapping, got '{v.TypeName}'");
        bool caseSensitive = Flag(a, 0, "case_sensitive");
        string by = a.Get(1, "by", new JinjaString("key")).ToString();
        bool reverse = Flag(a, 2, "reverse");
        int pos = by == "key" ? 0 : by == "value" ? 1 : throw new JinjaRuntimeError("dictsort 'by' must be 'key' or 'value'");
        var key = SortKey(null, caseSensitive);
        var comparer = Comparer<JinjaValue>.Create(PythonEquality.Compare);
        var pairs = d.Entries.Select(e => new JinjaList([e.Key, e.Value], true));
        var sorted = reverse ? pairs.OrderByDescending(p => key(p.Items[pos]), comparer) : pairs.OrderBy(p => key(p.Items[pos]), comparer);
        return new JinjaList(sorted.Cast<JinjaValue>().ToList());
    }

    /// <summary>Jinja's truncate: texts within <c>length + leeway</c> (leeway 5) stay; otherwise cut at a word boundary and add <c>end</c>.</summary>
    private static JinjaValue Truncate(JinjaValue v, JinjaArguments a)
    {
        string s = v.ToString();
        int length = (int)JinjaOperations.RequireInteger(a.Get(0, "length", new JinjaInteger(255)), "truncate length");
        bool killWords = Flag(a, 1, "killwords");
        string end = a.Get(2, "end", new JinjaString("...")).ToString();
        int leeway = (int)JinjaOperations.RequireInteger(a.Get(3, "leeway") is { } l and not JinjaNone ? l : new JinjaInteger(5), "truncate leeway");
        if (length < end.Length) throw new JinjaRuntimeError($"expected length >= {end.Length}, got {length}");
        if (leeway < 0) throw new JinjaRuntimeError($"expected leeway >= 0, got {leeway}");
        if (PythonText.Length(s) <= length + leeway) return new JinjaString(s);
        string head = PythonText.Slice(s, 0, length - end.Length, null);
        if (killWords) return new JinjaString(head + end);
        int space = head.LastIndexOf(' ');
        return new JinjaString((space >= 0 ? head[..space] : head) + end);
    }

    private static JinjaValue Unique(JinjaValue v, JinjaArguments a)
    {
        var key = SortKey(a.Get(1, "attribute"), Flag(a, 0, "case_sensitive"));
        var seen = new HashSet<JinjaValue>(PythonEquality.Instance);
        var result = new List<JinjaValue>();
        foreach (var item in JinjaOperations.Iterate(v))
            if (seen.Add(key(item))) result.Add(item);
        return new JinjaList(result);
    }

    private static JinjaValue MinMax(JinjaValue v, JinjaArguments a, bool max)
    {
        var key = SortKey(a.Get(1, "attribute"), Flag(a, 0, "case_sensitive"));
        var items = JinjaOperations.Iterate(v);
        if (items.Count == 0) return new JinjaUndefined("no items in sequence");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            int c = PythonEquality.Compare(key(item), key(best));
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static JinjaValue Sum(JinjaValue v, JinjaArguments a)
    {
        var get = a.Get(0, "attribute") is { } attr and not JinjaNone ? AttributeGetter(attr) : (x => x);
        JinjaValue total = a.Get(1, "start", new JinjaInteger(0));
        foreach (var item in JinjaOperations.Iterate(v)) total = JinjaOperations.Add(total, get(item));
        return total;
    }

    private static JinjaValue Batch(JinjaValue v, JinjaArguments a)
    {
        long size = JinjaOperations.RequireInteger(a.Get(0, "linecount", JinjaValue.Undefined), "batch size");
        if (size <= 0) throw new JinjaRuntimeError("batch size must be positive");
        var fill = a.Get(1, "fill_with");
        var result = new List<JinjaValue>();
        List<JinjaValue>? cur = null;
        foreach (var item in JinjaOperations.Iterate(v))
        {
            cur ??= [];
            cur.Add(item);
            if (cur.Count == size) { result.Add(new JinjaList(cur)); cur = null; }
        }
        if (cur is not null)
        {
            if (fill is not null and not JinjaNone) while (cur.Count < size) cur.Add(fill);
            result.Add(new JinjaList(cur));
        }
        return new JinjaList(result);
    }

    private static JinjaValue ToJson(JinjaValue v, JinjaArguments a)
    {
        a.Check("tojson", 1, "indent", "ensure_ascii", "sort_keys", "separators");
        if (a.Get(-1, "separators") is { } sep and not JinjaNone) throw new JinjaRuntimeError("tojson: custom separators are not supported");
        var indentArg = a.Get(0, "indent");
        string? indent = indentArg switch
        {
            null or JinjaNone => null,
            JinjaString s => s.Value,
            _ => new string(' ', (int)Math.Max(0, JinjaOperations.RequireInteger(indentArg, "tojson indent"))),
        };
        bool ascii = a.Get(-1, "ensure_ascii") is { IsTruthy: true };
        bool sortKeys = a.Get(-1, "sort_keys") is { IsTruthy: true };
        return new JinjaString(JinjaJson.Dumps(v, indent, ascii, sortKeys));
    }
}
