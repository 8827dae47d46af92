using Tokamak.Data.Formats;

namespace Tokamak.Data.Preparation;

/// <summary>Finds a dataset by name the way LLaMA-Factory does: a dataset_info.json entry, else a file or folder of that name.</summary>
public static class DatasetResolver
{
    /// <summary>The entry for <paramref name="name"/> in <paramref name="datasetDir"/>.</summary>
    public static DatasetInfo Resolve(string datasetDir, string name)
    {
        if (!Directory.Exists(datasetDir)) throw new DirectoryNotFoundException($"dataset dir not found: {datasetDir}");
        string infoPath = Path.Combine(datasetDir, "dataset_info.json");
        var registry = File.Exists(infoPath) ? DatasetRegistry.Load(infoPath) : null;
        if (registry is not null && registry.Datasets.TryGetValue(name, out var info)) return Checked(info, datasetDir);
        if (File.Exists(Path.Combine(datasetDir, name)) || Directory.Exists(Path.Combine(datasetDir, name))) return new DatasetInfo { Name = name, FileName = name };
        throw new InvalidDataException(registry is null
            ? $"dataset '{name}': {datasetDir} has no dataset_info.json and no file or folder of that name"
            : $"dataset '{name}' is neither in {infoPath} (known: {string.Join(", ", registry.Datasets.Keys)}) nor a file or folder in {datasetDir}");
    }

    private static DatasetInfo Checked(DatasetInfo info, string dir)
    {
        if (info.FileName == null) throw new NotSupportedException($"dataset '{info.Name}': only local files are supported (no file_name; hub datasets are not downloaded)");
        var path = info.ResolvePath(dir);
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"dataset '{info.Name}': file not found: {path}", path);
        return info;
    }
}
