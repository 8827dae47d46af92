namespace Tokamak.Training.Config;

/// <summary>
/// A training run, configured with LLaMA-Factory's key names. Load it with <see cref="Load"/> / <see cref="Parse"/>;
/// unknown keys and bad values are errors that name the key and line.
/// </summary>
public sealed class TrainConfig
{
    /// <summary>Base model: Hugging Face folder, GGUF or llama2.c file; empty to train from scratch.</summary>
    public string ModelNameOrPath { get; set; } = "";
    /// <summary>From scratch: a Hugging Face <c>config.json</c> giving the shape (inline shape keys override it).</summary>
    public string? ModelConfig { get; set; }
    /// <summary>Tokenizer folder (tokenizer.json): required from scratch, else overrides the base model's.</summary>
    public string? Tokenizer { get; set; }
    /// <summary>Inline model shape for training from scratch (Hugging Face config.json key names).</summary>
    public ModelShape Shape { get; } = new();
    /// <summary>Standard deviation of the random initialization from scratch.</summary>
    public float InitializerRange { get; set; } = 0.02f;
    /// <summary>BF16 mixed precision: linear-layer matmul operands rounded to bfloat16, FP32 master weights.</summary>
    public bool Bf16 { get; set; }
    /// <summary>FP16 mixed precision with dynamic loss scaling.</summary>
    public bool Fp16 { get; set; }
    /// <summary>Initial dynamic loss scale (FP16).</summary>
    public float LossScale { get; set; } = 65536f;
    /// <summary>Good steps before the loss scale doubles (FP16).</summary>
    public int LossScaleWindow { get; set; } = 2000;

    /// <summary>True when no base model is given and the run starts from random weights.</summary>
    public bool FromScratch => ModelNameOrPath.Length == 0;
    /// <summary>pt, sft, rm or dpo.</summary>
    public string Stage { get; set; } = "sft";
    /// <summary>full or lora.</summary>
    public string FinetuningType { get; set; } = "lora";
    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; set; } = 8;
    /// <summary>LoRA alpha (default 2 × rank).</summary>
    public float? LoraAlpha { get; set; }
    /// <summary>LoRA dropout.</summary>
    public float LoraDropout { get; set; }
    /// <summary>LoRA target modules (comma list or all).</summary>
    public string LoraTarget { get; set; } = "all";
    /// <summary>Dataset names in dataset_info.json.</summary>
    public List<string> Dataset { get; set; } = [];
    /// <summary>Folder holding dataset_info.json and the data files.</summary>
    public string DatasetDir { get; set; } = "data";
    /// <summary>Folder of tokenized shards: loaded instead of the datasets when it exists, else written after rendering.</summary>
    public string? TokenizedPath { get; set; }
    /// <summary>Chat template: null for the model's own, <c>chatml</c>, or a path to a .jinja file.</summary>
    public string? Template { get; set; }
    /// <summary>Maximum tokens per example / pretraining block.</summary>
    public int CutoffLen { get; set; } = 1024;
    /// <summary>Also train on prompt tokens.</summary>
    public bool TrainOnPrompt { get; set; }
    /// <summary>Train only on the last assistant turn.</summary>
    public bool MaskHistory { get; set; }
    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; set; } = 5e-5f;
    /// <summary>Epochs (when <see cref="MaxSteps"/> is not set).</summary>
    public double NumTrainEpochs { get; set; } = 3;
    /// <summary>Total optimizer steps; overrides epochs when positive.</summary>
    public int MaxSteps { get; set; } = -1;
    /// <summary>Examples per micro-batch.</summary>
    public int PerDeviceTrainBatchSize { get; set; } = 1;
    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;
    /// <summary>constant, linear, cosine, step or exponential (with warmup).</summary>
    public string LrSchedulerType { get; set; } = "cosine";
    /// <summary>Warmup steps.</summary>
    public int WarmupSteps { get; set; }
    /// <summary>Warmup as a fraction of total steps (used when <see cref="WarmupSteps"/> is 0).</summary>
    public double WarmupRatio { get; set; }
    /// <summary>AdamW decoupled weight decay.</summary>
    public float WeightDecay { get; set; }
    /// <summary>Global gradient-norm clip (0 disables).</summary>
    public double MaxGradNorm { get; set; } = 1.0;
    /// <summary>Seed for initialization, shuffling, dropout.</summary>
    public ulong Seed { get; set; } = 42;
    /// <summary>Where checkpoints, logs and the final model go.</summary>
    public string OutputDir { get; set; } = "";
    /// <summary>Checkpoint every N steps (0: only at the end).</summary>
    public int SaveSteps { get; set; } = 500;
    /// <summary>Log every N steps.</summary>
    public int LoggingSteps { get; set; } = 10;
    /// <summary>Evaluate every N steps (default: save_steps).</summary>
    public int EvalSteps { get; set; }
    /// <summary>Fraction (&lt; 1) or count (≥ 1) of examples held out for validation.</summary>
    public double ValSize { get; set; }
    /// <summary>Stop after this many evaluations without improvement (0: off).</summary>
    public int EarlyStoppingPatience { get; set; }
    /// <summary>Activation recomputation (gradient_checkpointing).</summary>
    public bool Recompute { get; set; }
    /// <summary>DPO β.</summary>
    public float PrefBeta { get; set; } = 0.1f;
    /// <summary>Resume from the checkpoint in output_dir (true) or a given file.</summary>
    public string? ResumeFromCheckpoint { get; set; }

    /// <summary>Path of the file the config came from, for relative paths.</summary>
    public string? SourcePath { get; set; }

    // Keys LLaMA-Factory configs commonly carry that do not change what Tokamak does.
    private static readonly HashSet<string> Ignored = ["do_train", "plot_loss", "overwrite_cache", "overwrite_output_dir", "preprocessing_num_workers",
        "report_to", "ddp_timeout", "trust_remote_code", "dataloader_num_workers", "save_only_model", "per_device_eval_batch_size", "eval_strategy"];

    private static readonly Dictionary<string, Action<TrainConfig, Value>> Setters = new(StringComparer.Ordinal)
    {
        ["model_name_or_path"] = (c, v) => c.ModelNameOrPath = v.Text(),
        ["stage"] = (c, v) => c.Stage = v.OneOf("pt", "sft", "rm", "dpo"),
        ["finetuning_type"] = (c, v) => c.FinetuningType = v.OneOf("full", "lora"),
        ["lora_rank"] = (c, v) => c.LoraRank = v.Int(1),
        ["lora_alpha"] = (c, v) => c.LoraAlpha = (float)v.Num(1e-9),
        ["lora_dropout"] = (c, v) => c.LoraDropout = (float)v.Num(0, 0.999),
        ["lora_target"] = (c, v) => c.LoraTarget = v.ListText(),
        ["dataset"] = (c, v) => c.Dataset = v.List(),
        ["dataset_dir"] = (c, v) => c.DatasetDir = v.Text(),
        ["template"] = (c, v) => c.Template = v.Text(),
        ["tokenized_path"] = (c, v) => c.TokenizedPath = v.Text(),
        ["cutoff_len"] = (c, v) => c.CutoffLen = v.Int(2),
        ["train_on_prompt"] = (c, v) => c.TrainOnPrompt = v.Bool(),
        ["mask_history"] = (c, v) => c.MaskHistory = v.Bool(),
        ["learning_rate"] = (c, v) => c.LearningRate = (float)v.Num(0),
        ["num_train_epochs"] = (c, v) => c.NumTrainEpochs = v.Num(1e-9),
        ["max_steps"] = (c, v) => c.MaxSteps = v.Int(-1),
        ["per_device_train_batch_size"] = (c, v) => c.PerDeviceTrainBatchSize = v.Int(1),
        ["gradient_accumulation_steps"] = (c, v) => c.GradientAccumulationSteps = v.Int(1),
        ["lr_scheduler_type"] = (c, v) => c.LrSchedulerType = v.OneOf("constant", "constant_with_warmup", "linear", "cosine", "step", "exponential"),
        ["warmup_steps"] = (c, v) => c.WarmupSteps = v.Int(0),
        ["warmup_ratio"] = (c, v) => c.WarmupRatio = v.Num(0, 1),
        ["weight_decay"] = (c, v) => c.WeightDecay = (float)v.Num(0),
        ["max_grad_norm"] = (c, v) => c.MaxGradNorm = v.Num(0),
        ["seed"] = (c, v) => c.Seed = (ulong)v.Int(0),
        ["output_dir"] = (c, v) => c.OutputDir = v.Text(),
        ["save_steps"] = (c, v) => c.SaveSteps = v.Int(0),
        ["logging_steps"] = (c, v) => c.LoggingSteps = v.Int(1),
        ["eval_steps"] = (c, v) => c.EvalSteps = v.Int(1),
        ["val_size"] = (c, v) => c.ValSize = v.Num(0),
        ["early_stopping_patience"] = (c, v) => c.EarlyStoppingPatience = v.Int(0),
        ["recompute"] = (c, v) => c.Recompute = v.Bool(),
        ["gradient_checkpointing"] = (c, v) => c.Recompute = v.Bool(),
        ["pref_beta"] = (c, v) => c.PrefBeta = (float)v.Num(1e-9),
        ["resume_from_checkpoint"] = (c, v) => c.ResumeFromCheckpoint = v.Text(),
        ["bf16"] = (c, v) => c.Bf16 = v.Bool(),
        ["fp16"] = (c, v) => c.Fp16 = v.Bool(),
        ["loss_scale"] = (c, v) => c.LossScale = (float)v.Num(1e-30, 1e30),
        ["loss_scale_window"] = (c, v) => c.LossScaleWindow = v.Int(1),
        ["model_config"] = (c, v) => c.ModelConfig = v.Text(),
        ["tokenizer"] = (c, v) => c.Tokenizer = v.Text(),
        ["initializer_range"] = (c, v) => c.InitializerRange = (float)v.Num(1e-9, 10),
        ["hidden_size"] = (c, v) => c.Shape.HiddenSize = v.Int(1),
        ["num_hidden_layers"] = (c, v) => c.Shape.Layers = v.Int(1),
        ["num_attention_heads"] = (c, v) => c.Shape.Heads = v.Int(1),
        ["num_key_value_heads"] = (c, v) => c.Shape.KvHeads = v.Int(1),
        ["head_dim"] = (c, v) => c.Shape.HeadDim = v.Int(1),
        ["intermediate_size"] = (c, v) => c.Shape.IntermediateSize = v.Int(1),
        ["vocab_size"] = (c, v) => c.Shape.VocabSize = v.Int(1),
        ["max_position_embeddings"] = (c, v) => c.Shape.MaxPositions = v.Int(1),
        ["tie_word_embeddings"] = (c, v) => c.Shape.TieWordEmbeddings = v.Bool(),
        ["rope_theta"] = (c, v) => c.Shape.RopeTheta = (float)v.Num(1e-9),
        ["rms_norm_eps"] = (c, v) => c.Shape.RmsEps = (float)v.Num(1e-12, 1),
        ["attention_bias"] = (c, v) => c.Shape.AttentionBias = v.Bool(),
    };

    /// <summary>Matmul operand precision asked for by <c>bf16</c> / <c>fp16</c>.</summary>
    public Kernels.MatMulPrecision Precision => Bf16 ? Kernels.MatMulPrecision.BF16 : Fp16 ? Kernels.MatMulPrecision.F16 : Kernels.MatMulPrecision.F32;

    /// <summary>The LoRA settings, or null for full fine-tuning.</summary>
    public Lora.LoraSettings? Lora() =>
        FinetuningType == "lora" ? Training.Lora.LoraSettings.Create(LoraRank, LoraAlpha ?? 2f * LoraRank, LoraDropout, LoraTarget) : null;

    /// <summary>Reads and validates a YAML config file.</summary>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config not found: {path}", path);
        var c = Parse(File.ReadAllText(path), path);
        c.SourcePath = Path.GetFullPath(path);
        return c;
    }

    /// <summary>Parses and validates YAML text.</summary>
    public static TrainConfig Parse(string yaml, string source = "config")
    {
        var c = new TrainConfig();
        var lines = new Dictionary<string, int>();
        foreach (var e in YamlSubset.Parse(yaml, source))
        {
            lines[e.Key] = e.Line;
            if (Ignored.Contains(e.Key)) continue;
            if (!Setters.TryGetValue(e.Key, out var set)) throw new InvalidDataException($"{source}:{e.Line}: unknown key '{e.Key}'");
            set(c, new Value(e, source));
        }
        string Where(string key) => lines.TryGetValue(key, out int l) ? $"{source}:{l}" : source;
        if (c.FromScratch && c.ModelConfig is null && c.Shape.IsEmpty)
            throw new InvalidDataException($"{source}: give 'model_name_or_path', or a model shape to train from scratch ('model_config' or hidden_size, num_hidden_layers, ...)");
        if (!c.FromScratch && (c.ModelConfig is not null || !c.Shape.IsEmpty))
            throw new InvalidDataException($"{Where(c.ModelConfig is not null ? "model_config" : ModelShape.FirstKey(lines.Keys)!)}: model shape keys only apply from scratch; remove them or 'model_name_or_path'");
        if (c.Bf16 && c.Fp16) throw new InvalidDataException($"{Where("fp16")}: choose one of bf16 and fp16");
        if (c.OutputDir.Length == 0) throw new InvalidDataException($"{source}: 'output_dir' is required");
        if (c.FinetuningType == "lora")
        {
            try { c.Lora(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{Where("lora_target")}: {e.Message}"); }
        }
        return c;
    }

    private readonly record struct Value(YamlEntry Entry, string Source)
    {
        public InvalidDataException Fail(string why) => new($"{Source}:{Entry.Line}: '{Entry.Key}': {why}");
        public string Text() => Entry.Scalar ?? throw Fail("expected a single value, got a list");
        public List<string> List() => Entry.Items?.ToList() ?? Text().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        public string ListText() => string.Join(",", List());
        public bool Bool() => YamlSubset.Bool(Text()) ?? throw Fail($"expected true or false, got '{Text()}'");
        public double Num(double min = double.NegativeInfinity, double max = double.PositiveInfinity)
        {
            double d = YamlSubset.Number(Text()) ?? throw Fail($"expected a number, got '{Text()}'");
            return d >= min && d <= max ? d : throw Fail($"{d} is outside [{min}, {max}]");
        }
        public int Int(int min)
        {
            double d = Num(min);
            return d == Math.Floor(d) && d <= int.MaxValue ? (int)d : throw Fail($"expected an integer, got '{Text()}'");
        }
        public string OneOf(params string[] allowed) => allowed.Contains(Text()) ? Text() : throw Fail($"expected one of {string.Join(", ", allowed)}, got '{Text()}'");
    }
}
