using System.Text.Json;

namespace Tokamak.Data.Formats;

/// <summary>Parses a LLaMA-Factory dataset_info.json into <see cref="DatasetInfo"/> entries, filling LLaMA-Factory's defaults.</summary>
public sealed class DatasetRegistry
{
    /// <summary>Entries by name, in file order.</summary>
    public IReadOnlyDictionary<string, DatasetInfo> Datasets { get; }

    private DatasetRegistry(Dictionary<string, DatasetInfo> datasets) => Datasets = datasets;

    /// <summary>The entry called <paramref name="name"/>.</summary>
    public DatasetInfo this[string name] =>
        Datasets.TryGetValue(name, out var d) ? d
            : throw new KeyNotFoundException($"dataset '{name}' is not in dataset_info.json (known: {string.Join(", ", Datasets.Keys)})");

    /// <summary>Reads and parses a dataset_info.json file.</summary>
    public static DatasetRegistry Load(string path)
    {
        try { return Parse(File.ReadAllText(path)); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{path}: {ex.Message}", ex); }
    }

    /// <summary>Parses dataset_info.json text.</summary>
    public static DatasetRegistry Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException ex) { throw new InvalidDataException($"dataset_info.json is not valid JSON: {ex.Message}", ex); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("dataset_info.json must be a JSON object of dataset entries");
            var result = new Dictionary<string, DatasetInfo>();
            foreach (var entry in doc.RootElement.EnumerateObject()) result[entry.Name] = ParseEntry(entry.Name, entry.Value);
            return new DatasetRegistry(result);
        }
    }

    private static DatasetInfo ParseEntry(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"dataset '{name}': entry must be an object");
        var format = Str(name, e, "formatting")?.ToLowerInvariant() switch
        {
            null or "alpaca" => DatasetFormat.Alpaca,
            "sharegpt" => DatasetFormat.ShareGpt,
            "openai" => DatasetFormat.OpenAi,
            var other => throw new InvalidDataException($"dataset '{name}': unknown formatting '{other}' (expected alpaca, sharegpt or openai)"),
        };
        bool ranking = e.TryGetProperty("ranking", out var r) && r.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new InvalidDataException($"dataset '{name}': 'ranking' must be true or false"),
        };
        var fileName = Str(name, e, "file_name");
        var hub = Str(name, e, "hf_hub_url") ?? Str(name, e, "ms_hub_url") ?? Str(name, e, "om_hub_url");
        if (fileName == null && hub == null && Str(name, e, "script_url") == null && Str(name, e, "cloud_file_name") == null)
            throw new InvalidDataException($"dataset '{name}': needs file_name (or a hub url)");

        var columns = new DatasetColumns { Messages = format == DatasetFormat.OpenAi ? "messages" : "conversations" };
        if (e.TryGetProperty("columns", out var c) && c.ValueKind == JsonValueKind.Object)
        {
            var prompt = Str(name, c, "prompt");
            columns = columns with
            {
                Prompt = prompt ?? columns.Prompt,
                PromptExplicit = prompt != null,
                Query = Str(name, c, "query") ?? columns.Query,
                Response = Str(name, c, "response") ?? columns.Response,
                History = Str(name, c, "history"),
                Messages = Str(name, c, "messages") ?? columns.Messages,
                System = Str(name, c, "system"),
                Tools = Str(name, c, "tools"),
                Chosen = Str(name, c, "chosen") ?? columns.Chosen,
                Rejected = Str(name, c, "rejected") ?? columns.Rejected,
            };
        }
        var tags = format == DatasetFormat.OpenAi ? DatasetTags.OpenAi : DatasetTags.ShareGpt;
        if (e.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            tags = tags with
            {
                RoleTag = Str(name, t, "role_tag") ?? tags.RoleTag,
                ContentTag = Str(name, t, "content_tag") ?? tags.ContentTag,
                UserTag = Str(name, t, "user_tag") ?? tags.UserTag,
                AssistantTag = Str(name, t, "assistant_tag") ?? tags.AssistantTag,
                ObservationTag = Str(name, t, "observation_tag") ?? tags.ObservationTag,
                FunctionTag = Str(name, t, "function_tag") ?? tags.FunctionTag,
                SystemTag = Str(name, t, "system_tag") ?? tags.SystemTag,
            };
        }
        long? samples = e.TryGetProperty("num_samples", out var ns) && ns.ValueKind == JsonValueKind.Number ? ns.GetInt64() : null;
        return new DatasetInfo
        {
            Name = name, FileName = fileName, HfHubUrl = hub, Formatting = format, Ranking = ranking,
            Columns = columns, Tags = tags, NumSamples = samples,
        };
    }

    private static string? Str(string dataset, JsonElement obj, string key)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new InvalidDataException($"dataset '{dataset}': '{key}' must be a string");
    }
}
