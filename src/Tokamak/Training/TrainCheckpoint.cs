using System.Globalization;
using System.Text.Json;
using Tokamak.Models;
using Tokamak.Training.Optim;

namespace Tokamak.Training;

/// <summary>
/// Exact-resume checkpoints: parameters under their Hugging Face names, optimizer state as
/// <c>optimizer.{state}.{name}</c>, and step, optimizer kind and hyper-parameters, RNG state and the model config
/// as safetensors metadata.
/// </summary>
public static class TrainCheckpoint
{
    private const string Format = "tokamak-train-v1";

    /// <summary>Saves everything needed to continue training bit-for-bit.</summary>
    public static void Save(string path, LlamaTrainModel model, IOptimizer optimizer, TrainRng? rng = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        foreach (var t in model.Layout.Tensors)
            tensors.Add((t.Name, t.Shape, model.Parameters.AsMemory((int)t.Offset, (int)t.Length)));
        if (!ReferenceEquals(model.TrainableLayout, model.Layout))
            foreach (var t in model.TrainableLayout.Tensors)
                tensors.Add((t.Name, t.Shape, model.TrainableParameters.AsMemory((int)t.Offset, (int)t.Length)));
        foreach (var (stateName, array) in optimizer.State)
            foreach (var t in model.TrainableLayout.Tensors)
                tensors.Add(($"optimizer.{stateName}.{t.Name}", t.Shape, array.AsMemory((int)t.Offset, (int)t.Length)));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["config"] = JsonSerializer.Serialize(model.Config),
            ["options"] = JsonSerializer.Serialize(model.Options),
            ["optimizer"] = optimizer.Kind,
            ["optimizer.step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in optimizer.Hyperparameters) meta["optimizer." + k] = v;
        if (rng != null) meta["rng.state"] = rng.State.ToString(CultureInfo.InvariantCulture);
        if (extra != null) foreach (var (k, v) in extra) meta["user." + k] = v;
        CheckpointWriter.Write(path, tensors, meta);
    }

    /// <summary>Reads the model config stored in a checkpoint (to build a fresh model before <see cref="Load"/>).</summary>
    public static ModelConfig ReadConfig(string path)
    {
        var reader = Open(path);
        return JsonSerializer.Deserialize<ModelConfig>(reader.Metadata["config"]) ?? throw new InvalidDataException($"{path}: config metadata is null");
    }

    /// <summary>Reads the model options (recomputation, LoRA, value head) stored in a checkpoint.</summary>
    public static TrainModelOptions ReadOptions(string path)
    {
        var reader = Open(path);
        return reader.Metadata.TryGetValue("options", out var json)
            ? JsonSerializer.Deserialize<TrainModelOptions>(json) ?? throw new InvalidDataException($"{path}: options metadata is null")
            : new TrainModelOptions();
    }

    /// <summary>
    /// Loads parameters, optimizer state and step, and RNG state into existing objects (which must match the
    /// checkpoint's layout and optimizer kind). Returns the <c>user.</c> metadata passed to <see cref="Save"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Load(string path, LlamaTrainModel model, IOptimizer optimizer, TrainRng? rng = null)
    {
        var reader = Open(path);
        string kind = reader.Metadata.GetValueOrDefault("optimizer", "");
        if (kind != optimizer.Kind) throw new InvalidDataException($"{path}: checkpoint optimizer is '{kind}', cannot load into '{optimizer.Kind}'");
        foreach (var t in model.Layout.Tensors)
        {
            CheckShape(path, reader, t.Name, t.Shape);
            reader.Read(t.Name, t.Of(model.Parameters));
        }
        if (!ReferenceEquals(model.TrainableLayout, model.Layout))
            foreach (var t in model.TrainableLayout.Tensors)
            {
                CheckShape(path, reader, t.Name, t.Shape);
                reader.Read(t.Name, t.Of(model.TrainableParameters));
            }
        foreach (var (stateName, array) in optimizer.State)
            foreach (var t in model.TrainableLayout.Tensors)
            {
                string name = $"optimizer.{stateName}.{t.Name}";
                CheckShape(path, reader, name, t.Shape);
                reader.Read(name, t.Of(array));
            }
        optimizer.RestoreStepCount(long.Parse(reader.Metadata["optimizer.step"], CultureInfo.InvariantCulture));
        if (rng != null)
        {
            if (!reader.Metadata.TryGetValue("rng.state", out var s)) throw new InvalidDataException($"{path}: checkpoint has no RNG state to restore");
            rng.State = ulong.Parse(s, CultureInfo.InvariantCulture);
        }
        return reader.Metadata.Where(kv => kv.Key.StartsWith("user.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["user.".Length..], kv => kv.Value);
    }

    private static CheckpointReader Open(string path)
    {
        var reader = new CheckpointReader(path);
        if (reader.Metadata.GetValueOrDefault("format") != Format) throw new InvalidDataException($"{path}: not a {Format} training checkpoint");
        return reader;
    }

    private static void CheckShape(string path, CheckpointReader reader, string name, int[] shape)
    {
        var s = reader.Shape(name);
        if (!s.AsSpan().SequenceEqual(shape))
            throw new InvalidDataException($"{path}: tensor '{name}' is [{string.Join(", ", s)}] but the model expects [{string.Join(", ", shape)}]");
    }
}
