using System.Text.Json;
using System.Text.Json.Nodes;
using Tokamak.Models.Formats;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;
using Tokamak.Training.Lora;

namespace Tokamak.Training.Export;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's layout: <c>adapter_config.json</c> plus <c>adapter_model.safetensors</c> with
/// tensors named <c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight</c> (<c>[r, in]</c>) and
/// <c>…lora_B.weight</c> (<c>[out, r]</c>), always in Hugging Face row order.
/// </summary>
public static class PeftAdapter
{
    /// <summary>Writes the adapters of <paramref name="model"/> (and a LoRA value head) to <paramref name="dir"/>.</summary>
    public static void Save(LlamaTrainModel model, string dir, string? baseModel = null)
    {
        var s = model.Lora ?? throw new InvalidOperationException("the model has no LoRA adapters to save");
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, int[], float[])>();
        foreach (var t in model.TrainableLayout.Tensors)
            tensors.Add((t.Name, t.Shape, HfModelExporter.HfOrder(t.Name, t.Of(model.TrainableParameters), t.Shape, model.Config)));
        string path = Path.Combine(dir, "adapter_model.safetensors");
        TensorEncoding.WriteAll(path + ".tmp", tensors, DType.F32, new Dictionary<string, string> { ["format"] = "pt" });
        File.Move(path + ".tmp", path, overwrite: true);
        var cfg = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = model.ValueHead is null ? "CAUSAL_LM" : "SEQ_CLS",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = s.Rank,
            ["lora_alpha"] = s.Alpha,
            ["lora_dropout"] = s.Dropout,
            ["target_modules"] = new JsonArray(s.Targets.Select(m => (JsonNode)LoraSettings.ModuleNames[(int)m]).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["use_rslora"] = false,
            ["modules_to_save"] = model.ValueHead is null ? null : new JsonArray("v_head"),
        };
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), cfg.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads <c>adapter_config.json</c> into settings (targets, rank, alpha, dropout).</summary>
    public static LoraSettings ReadSettings(string dir)
    {
        string path = Path.Combine(dir, "adapter_config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"no adapter_config.json in {dir}", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        if (root is not JsonObject o) throw new InvalidDataException($"{path}: not a JSON object");
        if ((string?)o["peft_type"] is { } type && type != "LORA") throw new InvalidDataException($"{path}: peft_type '{type}' is not LORA");
        int r = (int?)o["r"] ?? throw new InvalidDataException($"{path}: 'r' is missing");
        float alpha = (float?)o["lora_alpha"] ?? r;
        float dropout = (float?)o["lora_dropout"] ?? 0f;
        string targets = o["target_modules"] switch
        {
            JsonArray a => string.Join(",", a.Select(x => (string?)x)),
            JsonValue v => (string?)v ?? "",
            _ => throw new InvalidDataException($"{path}: 'target_modules' is missing"),
        };
        return LoraSettings.Create(r, alpha, dropout, targets);
    }

    /// <summary>
    /// Loads adapter weights (F32, F16 or BF16) into a model built with matching LoRA settings; names and shapes must
    /// match exactly.
    /// </summary>
    public static unsafe void Load(string dir, LlamaTrainModel model)
    {
        if (model.Lora is null) throw new InvalidOperationException("the model has no LoRA adapters to load into");
        string path = Path.Combine(dir, "adapter_model.safetensors");
        using var file = new SafeTensorsFile(path);
        var c = model.Config;
        foreach (var t in model.TrainableLayout.Tensors)
        {
            var src = file.Find(t.Name) ?? throw new InvalidDataException($"{path}: tensor '{t.Name}' is missing");
            if (!src.Shape.Select(d => (int)d).SequenceEqual(t.Shape))
                throw new InvalidDataException($"{path}: tensor '{t.Name}' is {src.ShapeText}, the model expects [{string.Join(", ", t.Shape)}]");
            var values = new float[t.Length];
            Dequant.Row(src.DType, src.Data, values);
            int heads = c.RopeStyle == RopeStyle.Interleaved ? RopeRowOrder.RotatedHeads(t.Name, c) : 0;
            if (heads == 0) values.CopyTo(t.Of(model.TrainableParameters));
            else RopeRowOrder.NeoxToInterleaved(values, t.Of(model.TrainableParameters), heads, c.HeadDim, t.Shape.Length == 1 ? 1 : t.Shape[1]);
        }
    }
}
