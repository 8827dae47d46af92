using System.Globalization;
using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>
/// The Python methods templates call on values: <c>str</c> (strip, split, startswith, format, …), <c>dict</c>
/// (items, keys, values, get) and read-only <c>list</c> methods (index, count). Mutating methods are absent, as in
/// Hugging Face's ImmutableSandboxedEnvironment.
/// </summary>
internal static class JinjaMethods
{
    private static readonly HashSet<string> StringMethods =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "replace", "upper",
        "lower", "title", "capitalize", "swapcase", "find", "rfind", "index", "count", "format", "join", "isdigit",
        "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal", "zfill", "removeprefix",
        "removesuffix", "center", "ljust", "rjust", "partition", "rpartition",
    ];

    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get"];
    private static readonly HashSet<string> ListMethods = ["index", "count"];

    public static bool Has(JinjaValue target, string name) => target switch
    {
        JinjaString => StringMethods.Contains(name),
        JinjaDict => DictMethods.Contains(name),
        JinjaList => ListMethods.Contains(name),
        _ => false,
    };

    public static JinjaValue Bind(JinjaValue target, string name) =>
        new JinjaCallable(name, args => TryCall(target, name, args, out var r) ? r : throw new JinjaRuntimeError($"no method {name}"));

    public static bool TryCall(JinjaValue target, string name, JinjaArguments args, out JinjaValue result)
    {
        result = JinjaValue.Undefined;
        if (!Has(target, name)) return false;
        result = target switch
        {
            JinjaString s => CallString(s.Value, name, args),
            JinjaDict d => CallDict(d, name, args),
            JinjaList l => CallList(l, name, args),
            _ => throw new InvalidOperationException(),
        };
        return true;
    }

    private static string? OptString(JinjaArguments args, int index, string name, string method)
    {
        var v = args.Get(index, name);
        return v is null or JinjaNone ? null : JinjaOperations.RequireString(v, $"{method}() argument");
    }

    private static JinjaValue Str(string s) => new JinjaString(s);

    private static JinjaValue StrList(List<string> parts)
    {
        var list = new List<JinjaValue>(parts.Count);
        foreach (var p in parts) list.Add(new JinjaString(p));
        return new JinjaList(list);
    }

    private static JinjaValue CallString(string s, string name, JinjaArguments args)
    {
        switch (name)
        {
            case "strip": return Str(PythonText.Strip(s, OptString(args, 0, "chars", name), true, true));
            case "lstrip": return Str(PythonText.Strip(s, OptString(args, 0, "chars", name), true, false));
            case "rstrip": return Str(PythonText.Strip(s, OptString(args, 0, "chars", name), false, true));
            case "split":
            case "rsplit":
                string? sep = OptString(args, 0, "sep", name);
                int max = (int)JinjaOperations.RequireInteger(args.Get(1, "maxsplit", new JinjaInteger(-1)), "maxsplit");
                return StrList(name == "split" ? PythonText.Split(s, sep, max) : PythonText.RSplit(s, sep, max));
            case "splitlines": return StrList(PythonText.SplitLines(s));
            case "startswith":
            case "endswith":
                return JinjaValue.From(AffixMatch(s, name == "startswith", args));
            case "replace":
                string old = JinjaOperations.RequireString(args.Get(0, "old", JinjaValue.Undefined), "replace() old");
                string repl = JinjaOperations.RequireString(args.Get(1, "new", JinjaValue.Undefined), "replace() new");
                long count = JinjaOperations.RequireInteger(args.Get(2, "count", new JinjaInteger(-1)), "replace() count");
                return Str(Replace(s, old, repl, count));
            case "upper": return Str(s.ToUpperInvariant());
            case "lower": return Str(s.ToLowerInvariant());
            case "title": return Str(PythonText.Title(s));
            case "capitalize": return Str(PythonText.Capitalize(s));
            case "swapcase":
                return Str(string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))));
            case "find":
            case "rfind":
            case "index":
                string sub = JinjaOperations.RequireString(args.Get(0, "sub", JinjaValue.Undefined), name + "() argument");
                int at = name == "rfind" ? s.LastIndexOf(sub, StringComparison.Ordinal) : s.IndexOf(sub, StringComparison.Ordinal);
                if (at < 0 && name == "index") throw new JinjaRuntimeError("substring not found");
                return new JinjaInteger(at < 0 ? -1 : PythonText.CodePointIndex(s, at));
            case "count":
                string needle = JinjaOperations.RequireString(args.Get(0, "sub", JinjaValue.Undefined), "count() argument");
                if (needle.Length == 0) return new JinjaInteger(PythonText.Length(s) + 1);
                int n = 0;
                for (int i = s.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = s.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
                return new JinjaInteger(n);
            case "format": return Str(BraceFormat(s, args));
            case "join":
                var items = JinjaOperations.Iterate(args.Get(0, "iterable", JinjaValue.Undefined));
                var sb = new StringBuilder();
                for (int i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(s);
                    sb.Append(JinjaOperations.RequireString(items[i], "join() item"));
                }
                return Str(sb.ToString());
            case "isdigit" or "isnumeric" or "isdecimal": return JinjaValue.From(s.Length > 0 && s.All(char.IsDigit));
            case "isalpha": return JinjaValue.From(s.Length > 0 && s.All(char.IsLetter));
            case "isalnum": return JinjaValue.From(s.Length > 0 && s.All(char.IsLetterOrDigit));
            case "isspace": return JinjaValue.From(s.Length > 0 && s.All(PythonText.IsSpace));
            case "islower": return JinjaValue.From(s.Any(char.IsLower) && !s.Any(char.IsUpper));
            case "isupper": return JinjaValue.From(s.Any(char.IsUpper) && !s.Any(char.IsLower));
            case "zfill":
                int width = (int)JinjaOperations.RequireInteger(args.Get(0, "width", JinjaValue.Undefined), "zfill() width");
                if (s.Length >= width) return Str(s);
                bool signed = s.Length > 0 && s[0] is '+' or '-';
                return Str(signed ? s[0] + s[1..].PadLeft(width - 1, '0') : s.PadLeft(width, '0'));
            case "removeprefix":
                string prefix = JinjaOperations.RequireString(args.Get(0, "prefix", JinjaValue.Undefined), "removeprefix() argument");
                return Str(s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s);
            case "removesuffix":
                string suffix = JinjaOperations.RequireString(args.Get(0, "suffix", JinjaValue.Undefined), "removesuffix() argument");
                return Str(suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s);
            case "center" or "ljust" or "rjust":
                int w = (int)JinjaOperations.RequireInteger(args.Get(0, "width", JinjaValue.Undefined), name + "() width");
                string fillText = OptString(args, 1, "fillchar", name) ?? " ";
                if (fillText.Length != 1) throw new JinjaRuntimeError("The fill character must be exactly one character long");
                char fill = fillText[0];
                int len = PythonText.Length(s);
                if (w <= len) return Str(s);
                int total = w - len;
                int left = name == "ljust" ? 0 : name == "rjust" ? total : total / 2 + (total & w & 1);
                return Str(new string(fill, left) + s + new string(fill, total - left));
            case "partition" or "rpartition":
                string psep = JinjaOperations.RequireString(args.Get(0, "sep", JinjaValue.Undefined), name + "() argument");
                int pi = name == "partition" ? s.IndexOf(psep, StringComparison.Ordinal) : s.LastIndexOf(psep, StringComparison.Ordinal);
                if (pi < 0)
                    return new JinjaList(name == "partition" ? [Str(s), Str(""), Str("")] : [Str(""), Str(""), Str(s)], true);
                return new JinjaList([Str(s[..pi]), Str(psep), Str(s[(pi + psep.Length)..])], true);
        }
        throw new JinjaRuntimeError($"'str' object has no attribute '{name}'");
    }

    private static bool AffixMatch(string s, bool start, JinjaArguments args)
    {
        var what = args.Get(0, start ? "prefix" : "suffix") ?? throw new JinjaRuntimeError("startswith/endswith needs an argument");
        var (from, to) = (0, s.Length);
        if (args.Get(1, "start") is { } a && a is not JinjaNone) from = Math.Clamp(ResolveIndex(JinjaOperations.RequireInteger(a, "start"), s.Length), 0, s.Length);
        if (args.Get(2, "end") is { } b && b is not JinjaNone) to = Math.Clamp(ResolveIndex(JinjaOperations.RequireInteger(b, "end"), s.Length), 0, s.Length);
        if (to < from) return false;
        string window = s[from..to];
        IEnumerable<JinjaValue> candidates = what is JinjaList { IsTuple: true } t ? t.Items : [what];
        foreach (var c in candidates)
        {
            string affix = JinjaOperations.RequireString(c, "startswith/endswith argument");
            if (start ? window.StartsWith(affix, StringComparison.Ordinal) : window.EndsWith(affix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static int ResolveIndex(long i, int length) => (int)(i < 0 ? Math.Max(i + length, 0) : Math.Min(i, length));

    public static string Replace(string s, string old, string repl, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertBetween(s, repl, long.MaxValue) : s.Replace(old, repl, StringComparison.Ordinal);
        if (old.Length == 0) return InsertBetween(s, repl, count);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int k = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (k < 0) break;
            sb.Append(s, pos, k - pos).Append(repl);
            pos = k + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    /// <summary>Python's <c>"ab".replace("", "-")</c> == <c>"-a-b-"</c>.</summary>
    private static string InsertBetween(string s, string repl, long count)
    {
        var sb = new StringBuilder();
        var cps = PythonText.CodePoints(s);
        long n = 0;
        for (int i = 0; i <= cps.Count; i++)
        {
            if (n++ < count) sb.Append(repl);
            if (i < cps.Count) sb.Append(cps[i]);
        }
        return sb.ToString();
    }

    /// <summary><c>str.format</c> with <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{name.attr}</c> and <c>{{</c>/<c>}}</c>; no format specs.</summary>
    private static string BraceFormat(string s, JinjaArguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c == '}') throw new JinjaRuntimeError("Single '}' encountered in format string");
            if (c != '{') { sb.Append(c); continue; }
            int close = s.IndexOf('}', i);
            if (close < 0) throw new JinjaRuntimeError("Single '{' encountered in format string");
            string field = s[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!')) throw new JinjaRuntimeError("format specs in str.format are not supported");
            string head = field.Split('.')[0];
            JinjaValue value;
            if (head.Length == 0) value = args.Get(auto++, "\0") ?? throw new JinjaRuntimeError("Replacement index out of range for positional args");
            else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out int idx))
                value = args.Get(idx, "\0") ?? throw new JinjaRuntimeError($"Replacement index {idx} out of range");
            else value = args.Get(-1, head) ?? throw new JinjaRuntimeError($"format: missing keyword '{head}'");
            foreach (var attr in field.Split('.').Skip(1)) value = JinjaAccess.GetAttribute(value, attr);
            sb.Append(value.ToString());
            i = close;
        }
        return sb.ToString();
    }

    private static JinjaValue CallDict(JinjaDict d, string name, JinjaArguments args)
    {
        switch (name)
        {
            case "items":
                var items = new List<JinjaValue>(d.Entries.Count);
                foreach (var (k, v) in d.Entries) items.Add(new JinjaList([k, v], true));
                return new JinjaList(items);
            case "keys": return new JinjaList([.. d.Entries.Keys]);
            case "values": return new JinjaList([.. d.Entries.Values]);
            case "get":
                var key = args.Get(0, "key") ?? throw new JinjaRuntimeError("get() needs a key");
                return d.Entries.TryGetValue(key, out var found) ? found : args.Get(1, "default", JinjaValue.None);
        }
        throw new JinjaRuntimeError($"'dict' object has no attribute '{name}'");
    }

    private static JinjaValue CallList(JinjaList l, string name, JinjaArguments args)
    {
        var x = args.Get(0, "value") ?? throw new JinjaRuntimeError($"{name}() needs an argument");
        if (name == "count") return new JinjaInteger(l.Items.Count(i => PythonEquality.Instance.Equals(i, x)));
        int at = l.Items.FindIndex(i => PythonEquality.Instance.Equals(i, x));
        if (at < 0) throw new JinjaRuntimeError($"{x.ToRepr()} is not in list");
        return new JinjaInteger(at);
    }
}
