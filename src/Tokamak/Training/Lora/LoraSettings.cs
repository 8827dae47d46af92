namespace Tokamak.Training.Lora;

/// <summary>The seven linear projections of a Llama block that LoRA can adapt, in PEFT's module names.</summary>
public enum LoraModule
{
    /// <summary>self_attn.q_proj</summary>
    Q,
    /// <summary>self_attn.k_proj</summary>
    K,
    /// <summary>self_attn.v_proj</summary>
    V,
    /// <summary>self_attn.o_proj</summary>
    O,
    /// <summary>mlp.gate_proj</summary>
    Gate,
    /// <summary>mlp.up_proj</summary>
    Up,
    /// <summary>mlp.down_proj</summary>
    Down,
}

/// <summary>
/// LoRA hyper-parameters: <c>W' = W + (alpha / rank) · B · A</c> on the chosen target modules, with dropout on the
/// adapter's input.
/// </summary>
/// <param name="Rank">Adapter rank r.</param>
/// <param name="Alpha">Scaling numerator (scale = alpha / rank).</param>
/// <param name="Dropout">Dropout probability on the adapter input during training.</param>
/// <param name="Targets">Modules that get adapters.</param>
public sealed record LoraSettings(int Rank, float Alpha, float Dropout, IReadOnlyList<LoraModule> Targets)
{
    /// <summary>PEFT module name per <see cref="LoraModule"/>.</summary>
    public static readonly IReadOnlyList<string> ModuleNames = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The adapter output scale alpha / rank.</summary>
    public float Scale => Alpha / Rank;

    /// <summary>Whether <paramref name="module"/> is adapted.</summary>
    public bool Adapts(LoraModule module) => Targets.Contains(module);

    /// <summary>
    /// Parses a target list such as <c>q_proj,v_proj</c> or <c>all</c> (every projection) and validates the numbers.
    /// </summary>
    public static LoraSettings Create(int rank, float alpha, float dropout, string targets)
    {
        if (rank <= 0) throw new ArgumentException($"lora_rank must be positive, got {rank}");
        if (!(alpha > 0)) throw new ArgumentException($"lora_alpha must be positive, got {alpha}");
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentException($"lora_dropout must be in [0, 1), got {dropout}");
        var list = new List<LoraModule>();
        foreach (var raw in targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw == "all") { list = [.. Enum.GetValues<LoraModule>()]; break; }
            int i = ModuleNames.ToList().IndexOf(raw);
            if (i < 0) throw new ArgumentException($"unknown lora_target '{raw}' (expected all or some of {string.Join(", ", ModuleNames)})");
            if (!list.Contains((LoraModule)i)) list.Add((LoraModule)i);
        }
        if (list.Count == 0) throw new ArgumentException("lora_target names no module");
        list.Sort();
        return new LoraSettings(rank, alpha, dropout, list);
    }
}
