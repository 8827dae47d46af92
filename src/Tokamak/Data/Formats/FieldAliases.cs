namespace Tokamak.Data.Formats;

/// <summary>
/// Alternative field names accepted for a column (e.g. "指令"/"指示" for "instruction"): when a record lacks the
/// configured name, the variants are tried in order. The name actually used is counted in <see cref="DataReport.FieldVariants"/>.
/// </summary>
public sealed class FieldAliases
{
    private readonly Dictionary<string, List<string>> _variants = new(StringComparer.Ordinal);

    /// <summary>No aliases: only configured names match.</summary>
    public static FieldAliases None => new();

    /// <summary>Common Chinese alpaca field names (指令/指示, 输入, 输出, 系统提示, 历史).</summary>
    public static FieldAliases ChineseAlpaca => new FieldAliases()
        .Add("instruction", "指令", "指示")
        .Add("input", "输入")
        .Add("output", "输出", "回答")
        .Add("system", "系统提示")
        .Add("history", "历史");

    /// <summary>Registers <paramref name="variants"/> as alternatives for <paramref name="column"/>; returns this for chaining.</summary>
    public FieldAliases Add(string column, params string[] variants)
    {
        if (!_variants.TryGetValue(column, out var list)) _variants[column] = list = [];
        foreach (var v in variants)
            if (v != column && !list.Contains(v)) list.Add(v);
        return this;
    }

    /// <summary>The alternatives registered for <paramref name="column"/> (empty if none).</summary>
    public IReadOnlyList<string> VariantsOf(string column) => _variants.TryGetValue(column, out var l) ? l : [];
}
