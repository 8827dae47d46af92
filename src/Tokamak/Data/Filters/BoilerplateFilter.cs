namespace Tokamak.Data.Filters;

/// <summary>
/// Finds boilerplate/advert lines — normalized lines of at least <see cref="MinLineChars"/> characters that occur in
/// at least <see cref="MinDocuments"/> documents and at least <see cref="MinDocumentFraction"/> of all documents —
/// then drops documents in which such lines make up at least <see cref="MaxBoilerplateFraction"/> of the characters.
/// </summary>
public sealed class BoilerplateFilter : IBatchFilter
{
    /// <summary>Shorter (normalized) lines are never counted as boilerplate ("thanks", "ok").</summary>
    public int MinLineChars { get; init; } = 16;
    /// <summary>A line must appear in at least this many documents.</summary>
    public int MinDocuments { get; init; } = 3;
    /// <summary>…and in at least this fraction of all documents.</summary>
    public double MinDocumentFraction { get; init; } = 0.0;
    /// <summary>Documents at or above this boilerplate character fraction are dropped.</summary>
    public double MaxBoilerplateFraction { get; init; } = 0.5;

    /// <summary>Hashes of the lines found to be boilerplate by the last <see cref="Evaluate"/>.</summary>
    public IReadOnlySet<ulong> LastBoilerplateLines { get; private set; } = new HashSet<ulong>();

    /// <inheritdoc />
    public string Name => "boilerplate";

    /// <summary>The key a line is counted under (its normalized-text hash), or null when too short to count.</summary>
    public ulong? LineKey(string line)
    {
        var n = TextNormalizer.Normalize(line);
        return n.Length < MinLineChars ? null : StableHash.Of(n);
    }

    /// <inheritdoc />
    public IReadOnlyList<string?> Evaluate(IReadOnlyList<UnifiedExample> examples)
    {
        // Pass 1: in how many documents does each line occur (once per document).
        var docFreq = new Dictionary<ulong, int>();
        var perDoc = new HashSet<ulong>();
        foreach (var e in examples)
        {
            perDoc.Clear();
            foreach (var line in ExampleText.Flatten(e).Split('\n'))
                if (LineKey(line) is { } k && perDoc.Add(k)) docFreq[k] = docFreq.GetValueOrDefault(k) + 1;
        }
        int need = Math.Max(MinDocuments, (int)Math.Ceiling(MinDocumentFraction * examples.Count));
        var boiler = docFreq.Where(p => p.Value >= need).Select(p => p.Key).ToHashSet();
        LastBoilerplateLines = boiler;

        // Pass 2: share of each document's characters sitting on boilerplate lines.
        var result = new string?[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            long total = 0, bad = 0;
            foreach (var line in ExampleText.Flatten(examples[i]).Split('\n'))
            {
                var len = line.Trim().Length;
                total += len;
                if (LineKey(line) is { } k && boiler.Contains(k)) bad += len;
            }
            if (total > 0 && (double)bad / total >= MaxBoilerplateFraction) result[i] = DropReasons.Boilerplate;
        }
        return result;
    }
}
