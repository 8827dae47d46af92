namespace Tokamak.Text.Templates;

/// <summary>
/// Functions every template sees: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c>, and Hugging Face's
/// <c>raise_exception(msg)</c> and <c>strftime_now(format)</c>.
/// </summary>
internal static class JinjaGlobals
{
    private const int MaxRange = 100_000;

    public static void AddTo(JinjaScope scope, TimeProvider time)
    {
        scope.Set("range", new JinjaCallable("range", Range));
        scope.Set("namespace", new JinjaCallable("namespace", Namespace));
        scope.Set("dict", new JinjaCallable("dict", Dict));
        scope.Set("raise_exception", new JinjaCallable("raise_exception", args =>
            throw new JinjaRuntimeError(args.Get(0, "message", JinjaString.Empty).ToString(), raisedByTemplate: true)));
        scope.Set("strftime_now", new JinjaCallable("strftime_now", args =>
            new JinjaString(PythonStrftime.Format(time.GetLocalNow(),
                JinjaOperations.RequireString(args.Get(0, "format") ?? throw new JinjaRuntimeError("strftime_now needs a format"), "strftime_now format")))));
    }

    private static JinjaValue Range(JinjaArguments args)
    {
        var p = args.Positional;
        if (p.Count is < 1 or > 3) throw new JinjaRuntimeError($"range expected 1 to 3 arguments, got {p.Count}");
        long start = 0, stop, step = 1;
        if (p.Count == 1) stop = JinjaOperations.RequireInteger(p[0], "range argument");
        else
        {
            start = JinjaOperations.RequireInteger(p[0], "range argument");
            stop = JinjaOperations.RequireInteger(p[1], "range argument");
            if (p.Count == 3) step = JinjaOperations.RequireInteger(p[2], "range argument");
        }
        if (step == 0) throw new JinjaRuntimeError("range() arg 3 must not be zero");
        var items = new List<JinjaValue>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (items.Count >= MaxRange) throw new JinjaRuntimeError($"range too big (more than {MaxRange} items)");
            items.Add(new JinjaInteger(i));
        }
        return new JinjaList(items);
    }

    private static JinjaValue Namespace(JinjaArguments args)
    {
        var ns = new JinjaNamespace();
        foreach (var initial in args.Positional)
        {
            if (initial is not JinjaDict d) throw new JinjaRuntimeError("namespace() positional argument must be a dict");
            foreach (var (k, v) in d.Entries) ns.Attributes[k.ToString()] = v;
        }
        foreach (var (k, v) in args.Named) ns.Attributes[k] = v;
        return ns;
    }

    private static JinjaValue Dict(JinjaArguments args)
    {
        var d = new JinjaDict();
        foreach (var initial in args.Positional)
        {
            if (initial is not JinjaDict src) throw new JinjaRuntimeError("dict() positional argument must be a dict");
            foreach (var (k, v) in src.Entries) d.Entries[k] = v;
        }
        foreach (var (k, v) in args.Named) d.Set(k, v);
        return d;
    }
}
