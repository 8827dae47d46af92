using System.Globalization;
using System.Text;

namespace Tokamak.Text.Templates;

/// <summary>C/Python <c>strftime</c> in the C locale, for Hugging Face's <c>strftime_now(format)</c> global.</summary>
internal static class PythonStrftime
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTimeOffset t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[++i];
            // glibc's "%-d" drops padding.
            bool noPad = false;
            if (c == '-' && i + 1 < format.Length) { noPad = true; c = format[++i]; }
            string Pad(int v, int width) => noPad ? v.ToString(inv) : v.ToString(new string('0', width), inv);
            int hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
            switch (c)
            {
                case 'a': sb.Append(Days[(int)t.DayOfWeek][..3]); break;
                case 'A': sb.Append(Days[(int)t.DayOfWeek]); break;
                case 'b' or 'h': sb.Append(Months[t.Month - 1][..3]); break;
                case 'B': sb.Append(Months[t.Month - 1]); break;
                case 'd': sb.Append(Pad(t.Day, 2)); break;
                case 'e': sb.Append(noPad ? t.Day.ToString(inv) : t.Day.ToString(inv).PadLeft(2)); break;
                case 'H': sb.Append(Pad(t.Hour, 2)); break;
                case 'I': sb.Append(Pad(hour12, 2)); break;
                case 'j': sb.Append(Pad(t.DayOfYear, 3)); break;
                case 'm': sb.Append(Pad(t.Month, 2)); break;
                case 'M': sb.Append(Pad(t.Minute, 2)); break;
                case 'S': sb.Append(Pad(t.Second, 2)); break;
                case 'f': sb.Append((t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv)); break;
                case 'p': sb.Append(t.Hour < 12 ? "AM" : "PM"); break;
                case 'y': sb.Append(Pad(t.Year % 100, 2)); break;
                case 'Y': sb.Append(t.Year.ToString(inv)); break;
                case 'w': sb.Append((int)t.DayOfWeek); break;
                case 'u': sb.Append(t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek); break;
                case 'z':
                    var off = t.Offset;
                    sb.Append(off < TimeSpan.Zero ? '-' : '+').Append(Math.Abs(off.Hours).ToString("00", inv)).Append(Math.Abs(off.Minutes).ToString("00", inv));
                    break;
                case 'Z': sb.Append(t.Offset == TimeSpan.Zero ? "UTC" : ""); break;
                case 'D': sb.Append(Format(t, "%m/%d/%y")); break;
                case 'F': sb.Append(Format(t, "%Y-%m-%d")); break;
                case 'T': sb.Append(Format(t, "%H:%M:%S")); break;
                case 'R': sb.Append(Format(t, "%H:%M")); break;
                case 'c': sb.Append(Format(t, "%a %b %e %H:%M:%S %Y")); break;
                case 'x': sb.Append(Format(t, "%m/%d/%y")); break;
                case 'X': sb.Append(Format(t, "%H:%M:%S")); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case '%': sb.Append('%'); break;
                default: sb.Append('%').Append(c); break;
            }
        }
        return sb.ToString();
    }
}
