namespace Tokamak.Training.Config;

/// <summary>Applies <c>key=value</c> overrides (the CLI's <c>--set</c>) to a YAML config before it is parsed.</summary>
public static class TrainConfigOverrides
{
    /// <summary>Loads <paramref name="path"/> with each <c>key=value</c> in <paramref name="overrides"/> replacing that key's line (or added).</summary>
    public static TrainConfig Load(string path, IReadOnlyList<string> overrides)
    {
        if (overrides.Count == 0) return TrainConfig.Load(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"config not found: {path}", path);
        var c = TrainConfig.Parse(Apply(File.ReadAllText(path), overrides), path);
        c.SourcePath = Path.GetFullPath(path);
        return c;
    }

    /// <summary>The YAML text with the overrides applied (top-level <c>key:</c> lines of overridden keys are dropped).</summary>
    public static string Apply(string yaml, IReadOnlyList<string> overrides)
    {
        var pairs = overrides.Select(o =>
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set expects key=value, got '{o}'");
            return (Key: o[..eq].Trim(), Value: o[(eq + 1)..].Trim());
        }).ToList();
        var keys = pairs.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var lines = yaml.Split('\n').Where(l =>
        {
            int colon = l.IndexOf(':');
            return colon <= 0 || char.IsWhiteSpace(l[0]) || !keys.Contains(l[..colon].Trim());
        });
        return string.Join('\n', lines) + "\n" + string.Join("\n", pairs.Select(p => $"{p.Key}: {p.Value}")) + "\n";
    }
}
