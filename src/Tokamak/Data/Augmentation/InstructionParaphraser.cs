namespace Tokamak.Data.Augmentation;

/// <summary>
/// Paraphrase augmentation: when the first user turn of a conversation starts with a known instruction phrasing
/// (case-insensitive, followed by the end of the turn, punctuation or a line break), then with probability
/// <see cref="Ratio"/> that phrasing is replaced by a different one of its <see cref="ParaphraseGroup"/>.
/// The rest of the turn (the input text) is kept verbatim. Deterministic for a given seed and input order.
/// </summary>
public sealed class InstructionParaphraser
{
    private readonly List<(string Phrase, int Group)> _phrases;
    private readonly IReadOnlyList<ParaphraseGroup> _groups;
    private readonly Random _rng;

    /// <summary>Chance that an example whose instruction matches a group is rewritten.</summary>
    public double Ratio { get; }

    /// <summary>Examples rewritten so far, per group name.</summary>
    public SortedDictionary<string, long> Applied { get; } = new(StringComparer.Ordinal);

    /// <summary>Examples whose instruction matched a group (rewritten or not).</summary>
    public long Matched { get; private set; }

    /// <summary>Creates a paraphraser over <paramref name="groups"/> (default: <see cref="ParaphraseGroup.Defaults"/>).</summary>
    public InstructionParaphraser(double ratio, int seed = 0, IReadOnlyList<ParaphraseGroup>? groups = null)
    {
        if (ratio is < 0 or > 1 || double.IsNaN(ratio)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "paraphrase ratio must be in [0, 1]");
        _groups = groups ?? ParaphraseGroup.Defaults;
        foreach (var g in _groups)
            if (g.Phrasings.Count < 2) throw new ArgumentException($"paraphrase group '{g.Name}' needs at least two phrasings");
        // Longest first, so "Summarize the following text" wins over its prefix "Summarize".
        _phrases = _groups.SelectMany((g, gi) => g.Phrasings.Select(p => (p, gi))).OrderByDescending(x => x.p.Length).ToList();
        Ratio = ratio;
        _rng = new Random(seed);
    }

    /// <summary>The example, possibly with its instruction rephrased (a copy; the input is not modified).</summary>
    public UnifiedExample Apply(UnifiedExample e)
    {
        if (e.IsPretraining) return e;
        int first = e.Turns.FindIndex(t => t.Role == Role.User);
        if (first < 0) return e;
        var text = e.Turns[first].Content;
        foreach (var (phrase, gi) in _phrases)
        {
            if (!StartsWithPhrase(text, phrase)) continue;
            Matched++;
            if (_rng.NextDouble() >= Ratio) return e;
            var options = _groups[gi].Phrasings.Where(p => !p.Equals(phrase, StringComparison.OrdinalIgnoreCase)).ToList();
            var replacement = options[_rng.Next(options.Count)];
            var turns = new List<Turn>(e.Turns) { [first] = new Turn(Role.User, replacement + text[phrase.Length..]) };
            Applied[_groups[gi].Name] = Applied.GetValueOrDefault(_groups[gi].Name) + 1;
            return new UnifiedExample
            {
                System = e.System, Tools = e.Tools, Turns = turns, Chosen = e.Chosen, Rejected = e.Rejected,
                Content = e.Content, Origin = e.Origin,
            };
        }
        return e;
    }

    /// <summary>Lazily applies <see cref="Apply"/> to a stream.</summary>
    public IEnumerable<UnifiedExample> ApplyAll(IEnumerable<UnifiedExample> examples) => examples.Select(Apply);

    // The phrase must end at a boundary so "Summarize" does not match "Summarizer".
    private static bool StartsWithPhrase(string text, string phrase)
    {
        if (!text.StartsWith(phrase, StringComparison.OrdinalIgnoreCase)) return false;
        if (text.Length == phrase.Length) return true;
        char next = text[phrase.Length];
        return next is ':' or '.' or '?' or '!' or ',' or '\n' or '\r' or ' ' && (next != ' ' || !char.IsLetterOrDigit(Peek(text, phrase.Length + 1)));
    }

    private static char Peek(string s, int i) => i < s.Length ? s[i] : '\0';
}
