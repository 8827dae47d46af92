using Tokamak.Data.Filters;
using Tokamak.Data.Formats;
using Tokamak.Data.Readers;
using Tokamak.Data.Rendering;

namespace Tokamak.Data.Preparation;

/// <summary>What <see cref="DataPreparer"/> reads, how it filters and renders, and where it writes.</summary>
public sealed record PrepareOptions
{
    /// <summary>Folder with dataset_info.json and the data files.</summary>
    public required string DatasetDir { get; init; }
    /// <summary>Dataset names (dataset_info.json entries or file/folder names), concatenated in order.</summary>
    public required IReadOnlyList<string> Datasets { get; init; }
    /// <summary>Output folder: shards, tokenized.json, report.json, report.txt, length_*.png.</summary>
    public required string OutDir { get; init; }
    /// <summary>pt, sft, rm or dpo.</summary>
    public string Stage { get; init; } = "sft";
    /// <summary>cutoff_len, train_on_prompt, mask_history.</summary>
    public RenderOptions Render { get; init; } = new();
    /// <summary>Quality filters (all off unless switched on).</summary>
    public QualityOptions Quality { get; init; } = new() { ExactDedup = false, NearDuplicateThreshold = null };
    /// <summary>Reader options (error policy: skip or fail).</summary>
    public ReaderOptions Reader { get; init; } = new();
    /// <summary>Field-name aliases (default: the Chinese alpaca names).</summary>
    public FieldAliases Aliases { get; init; } = FieldAliases.ChineseAlpaca;
    /// <summary>Share of matching instructions to paraphrase (0 disables).</summary>
    public double ParaphraseRatio { get; init; }
    /// <summary>Seed of the augmentation.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Write the length histograms as PNG.</summary>
    public bool Plots { get; init; } = true;
    /// <summary>Shard size.</summary>
    public long ShardBytes { get; init; } = 256L << 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Stage is not ("pt" or "sft" or "rm" or "dpo")) throw new ArgumentException($"stage must be pt, sft, rm or dpo, got '{Stage}'");
        if (Datasets.Count == 0) throw new ArgumentException("no dataset given");
        if (ParaphraseRatio is < 0 or > 1 || double.IsNaN(ParaphraseRatio)) throw new ArgumentException($"paraphrase ratio must be in [0, 1], got {ParaphraseRatio}");
    }
}
