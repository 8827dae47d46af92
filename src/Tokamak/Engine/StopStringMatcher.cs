namespace Tokamak.Engine;

/// <summary>
/// Finds stop strings in streamed text. Text that might be the start of a stop string is held back until it is
/// known not to be one, so a client never sees part of a stop string.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly System.Text.StringBuilder _pending = new();

    /// <summary>Creates a matcher for <paramref name="stops"/> (may be empty).</summary>
    public StopStringMatcher(IReadOnlyList<string> stops) => _stops = stops;

    /// <summary>Whether a stop string was found; no further text is accepted after that.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop string that matched, if any.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Adds <paramref name="text"/> and returns what can now be emitted safely.</summary>
    public string Push(string text)
    {
        if (Stopped || text.Length == 0) return "";
        if (_stops.Count == 0) return text;
        _pending.Append(text);
        string buf = _pending.ToString();
        int first = -1;
        foreach (string s in _stops)
        {
            int i = buf.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first))
            {
                first = i;
                MatchedStop = s;
            }
        }
        if (first >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return buf[..first];
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        int hold = 0;
        foreach (string s in _stops)
            for (int len = Math.Min(s.Length - 1, buf.Length); len > hold; len--)
                if (string.CompareOrdinal(buf, buf.Length - len, s, 0, len) == 0)
                {
                    hold = len;
                    break;
                }
        string emit = buf[..^hold];
        _pending.Clear().Append(buf, buf.Length - hold, hold);
        return emit;
    }

    /// <summary>Returns any held-back text at the end of generation.</summary>
    public string Flush()
    {
        if (Stopped) return "";
        string rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
