using System.Globalization;
using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>Python's <c>"..." % args</c> for the common conversions (%s %r %d %i %f %x %%, flags/width/precision, %(name)s).</summary>
internal static class PercentFormat
{
    public static string Format(string format, JinjaValue args)
    {
        var positional = args is JinjaList { IsTuple: true } t ? t.Items : [args];
        var mapping = args as JinjaDict;
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) throw new JinjaRuntimeError("incomplete format");
            if (format[i] == '%') { sb.Append('%'); continue; }
            JinjaValue? value = null;
            if (format[i] == '(')
            {
                int close = format.IndexOf(')', i);
                if (close < 0 || mapping is null) throw new JinjaRuntimeError("format requires a mapping");
                string key = format[(i + 1)..close];
                if (!mapping.TryGet(key, out var v)) throw new JinjaRuntimeError($"format key '{key}' missing");
                value = v;
                i = close + 1;
            }
            int specStart = i;
            while (i < format.Length && "-+ #0".Contains(format[i])) i++;
            while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                int p0 = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
                precision = i > p0 ? int.Parse(format.AsSpan(p0, i - p0), CultureInfo.InvariantCulture) : 0;
            }
            if (i >= format.Length) throw new JinjaRuntimeError("incomplete format");
            string flags = format[specStart..i];
            bool leftAlign = flags.Contains('-');
            bool zeroPad = flags.TrimStart('-', '+', ' ', '#').StartsWith('0') && !leftAlign;
            string widthText = new([.. flags.SkipWhile(ch => "-+ #0".Contains(ch)).TakeWhile(char.IsAsciiDigit)]);
            int width = widthText.Length > 0 ? int.Parse(widthText, CultureInfo.InvariantCulture) : 0;
            if (value is null)
            {
                if (next >= positional.Count) throw new JinjaRuntimeError("not enough arguments for format string");
                value = positional[next++];
            }
            string text = format[i] switch
            {
                's' => value.ToString(),
                'r' => value.ToRepr(),
                'd' or 'i' => PythonEquality.TryNumber(value, out double d)
                    ? ((long)Math.Truncate(d)).ToString(CultureInfo.InvariantCulture)
                    : throw new JinjaRuntimeError($"%d format: a number is required, not {value.TypeName}"),
                'f' or 'F' => PythonEquality.TryNumber(value, out double f)
                    ? f.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture)
                    : throw new JinjaRuntimeError($"%f format: a number is required, not {value.TypeName}"),
                'x' => JinjaOperations.RequireInteger(value, "%x argument").ToString("x", CultureInfo.InvariantCulture),
                _ => throw new JinjaRuntimeError($"unsupported format character '{format[i]}'"),
            };
            if (format[i] is 's' or 'r' && precision is int prec && prec < text.Length) text = text[..prec];
            if (text.Length < width)
                text = leftAlign ? text.PadRight(width) : zeroPad ? text.PadLeft(width, '0') : text.PadLeft(width);
            sb.Append(text);
        }
        if (next < positional.Count && mapping is null && positional.Count > 1)
            throw new JinjaRuntimeError("not all arguments converted during string formatting");
        return sb.ToString();
    }
}
