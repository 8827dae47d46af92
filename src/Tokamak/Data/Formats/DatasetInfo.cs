namespace Tokamak.Data.Formats;

/// <summary>One dataset entry of a LLaMA-Factory dataset_info.json.</summary>
public sealed record DatasetInfo
{
    /// <summary>The entry's key.</summary>
    public required string Name { get; init; }

    /// <summary>Data file (or folder) relative to the dataset directory; null for hub-hosted datasets.</summary>
    public string? FileName { get; init; }

    /// <summary>Hugging Face hub id, when the entry points there (not downloaded by Tokamak).</summary>
    public string? HfHubUrl { get; init; }

    /// <summary>Record layout.</summary>
    public DatasetFormat Formatting { get; init; } = DatasetFormat.Alpaca;

    /// <summary>True for preference (chosen/rejected) datasets.</summary>
    public bool Ranking { get; init; }

    /// <summary>Field names.</summary>
    public DatasetColumns Columns { get; init; } = new();

    /// <summary>Message tags (sharegpt/openai only).</summary>
    public DatasetTags Tags { get; init; } = DatasetTags.ShareGpt;

    /// <summary>Optional cap on examples taken (dataset_info "num_samples").</summary>
    public long? NumSamples { get; init; }

    /// <summary>Full path of the data file under <paramref name="datasetDir"/>.</summary>
    public string ResolvePath(string datasetDir) =>
        FileName != null
            ? Path.Combine(datasetDir, FileName)
            : throw new NotSupportedException($"dataset '{Name}' has no file_name (hub datasets such as '{HfHubUrl}' must be downloaded first)");
}
