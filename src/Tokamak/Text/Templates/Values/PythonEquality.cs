namespace Tokamak.Text.Templates;

/// <summary>Python <c>==</c>, <c>hash()</c> and ordering (<c>&lt;</c>) over template values.</summary>
internal sealed class PythonEquality : IEqualityComparer<JinjaValue>
{
    public static readonly PythonEquality Instance = new();

    /// <summary>bool/int/float as a double for numeric comparison; false for non-numbers.</summary>
    public static bool TryNumber(JinjaValue v, out double d)
    {
        switch (v)
        {
            case JinjaInteger i: d = i.Value; return true;
            case JinjaFloat f: d = f.Value; return true;
            case JinjaBoolean b: d = b.Value ? 1 : 0; return true;
            default: d = 0; return false;
        }
    }

    public bool Equals(JinjaValue? a, JinjaValue? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        if (a is JinjaInteger ia && b is JinjaInteger ib) return ia.Value == ib.Value;
        if (TryNumber(a, out var da) && TryNumber(b, out var db)) return da == db;
        switch (a)
        {
            case JinjaString sa: return b is JinjaString sb && string.Equals(sa.Value, sb.Value, StringComparison.Ordinal);
            case JinjaNone: return b is JinjaNone;
            case JinjaUndefined: return b is JinjaUndefined;
            case JinjaList la:
                if (b is not JinjaList lb || la.IsTuple != lb.IsTuple || la.Items.Count != lb.Items.Count) return false;
                for (int i = 0; i < la.Items.Count; i++)
                    if (!Equals(la.Items[i], lb.Items[i])) return false;
                return true;
            case JinjaDict dA:
                if (b is not JinjaDict dB || dA.Entries.Count != dB.Entries.Count) return false;
                foreach (var (k, v) in dA.Entries)
                    if (!dB.Entries.TryGetValue(k, out var other) || !Equals(v, other)) return false;
                return true;
            default: return false;
        }
    }

    public int GetHashCode(JinjaValue v)
    {
        switch (v)
        {
            case JinjaString s: return string.GetHashCode(s.Value, StringComparison.Ordinal);
            case JinjaInteger i: return i.Value.GetHashCode();
            case JinjaBoolean b: return (b.Value ? 1L : 0L).GetHashCode();
            case JinjaFloat f:
                // Equal numbers must hash equal: 1.0 hashes like 1.
                return f.Value == Math.Floor(f.Value) && Math.Abs(f.Value) < 9.2e18 ? ((long)f.Value).GetHashCode() : f.Value.GetHashCode();
            case JinjaNone: return 0x5A5A;
            case JinjaList l:
                var h = new HashCode();
                foreach (var item in l.Items) h.Add(GetHashCode(item));
                return h.ToHashCode();
            default: return System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(v);
        }
    }

    /// <summary>Python ordering; numbers with numbers, strings by code point, lists lexicographically.</summary>
    public static int Compare(JinjaValue a, JinjaValue b)
    {
        if (a is JinjaInteger ia && b is JinjaInteger ib) return ia.Value.CompareTo(ib.Value);
        if (TryNumber(a, out var da) && TryNumber(b, out var db)) return da.CompareTo(db);
        if (a is JinjaString sa && b is JinjaString sb) return CompareCodePoints(sa.Value, sb.Value);
        if (a is JinjaList la && b is JinjaList lb)
        {
            int n = Math.Min(la.Items.Count, lb.Items.Count);
            for (int i = 0; i < n; i++)
            {
                if (Instance.Equals(la.Items[i], lb.Items[i])) continue;
                return Compare(la.Items[i], lb.Items[i]);
            }
            return la.Items.Count.CompareTo(lb.Items.Count);
        }
        throw new JinjaRuntimeError($"'<' not supported between instances of '{a.TypeName}' and '{b.TypeName}'");
    }

    /// <summary>Orders by Unicode code point (UTF-16 ordinal order differs above U+D7FF).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            bool sx = char.IsSurrogate(x), sy = char.IsSurrogate(y);
            if (sx == sy) return x.CompareTo(y);
            // A surrogate encodes a code point >= U+10000, above every BMP char.
            return sx ? 1 : -1;
        }
        return a.Length.CompareTo(b.Length);
    }
}
