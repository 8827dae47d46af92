using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tokamak.Data;
using Tokamak.Data.Formats;
using Tokamak.Data.Output;
using Tokamak.Data.Rendering;
using Tokamak.Models;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;
using Tokamak.Training.Config;
using Tokamak.Training.Export;
using Tokamak.Training.Objectives;
using Tokamak.Training.Optim;

namespace Tokamak.Training;

/// <summary>How a run ended.</summary>
/// <param name="Steps">Optimizer steps completed.</param>
/// <param name="FinalLoss">Loss of the last step.</param>
/// <param name="BestValLoss">Best validation loss (NaN without validation).</param>
/// <param name="StopReason">Why the run stopped.</param>
/// <param name="TokensPerSecond">Training throughput over the run.</param>
public sealed record TrainRunResult(long Steps, double FinalLoss, double BestValLoss, string StopReason, double TokensPerSecond);

/// <summary>
/// One <c>tokamak train</c> run: loads the base model, renders the datasets for the stage, trains with logging,
/// validation, early stopping and atomic checkpoints (<c>checkpoint.safetensors</c> in output_dir, resumable
/// exactly), and writes the result (a Hugging Face model, or a PEFT adapter for LoRA). Logs go to
/// <c>trainer_log.jsonl</c>.
/// </summary>
public sealed class TrainingRun
{
    private readonly TrainConfig _c;
    private readonly Action<string> _log;

    /// <summary>Prepares a run; <paramref name="log"/> receives progress lines.</summary>
    public TrainingRun(TrainConfig config, Action<string>? log = null)
    {
        _c = config;
        _log = log ?? (_ => { });
    }

    /// <summary>Checkpoint file of the run.</summary>
    public string CheckpointPath => Path.Combine(Resolve(_c.OutputDir), "checkpoint.safetensors");

    private string Resolve(string p) => Path.IsPathRooted(p) || _c.SourcePath is null ? p : Path.Combine(Path.GetDirectoryName(_c.SourcePath)!, p);

    /// <summary>Runs to completion (or early stop / NaN) and returns the outcome.</summary>
    /// <param name="cancel">Stops between steps.</param>
    /// <param name="stopAfterStep">Ends the run (checkpoint saved, no export) after this step, as an interrupted run would.</param>
    public TrainRunResult Run(CancellationToken cancel = default, long? stopAfterStep = null)
    {
        if (_c.Dataset.Count == 0 && !(_c.TokenizedPath is { } tp && TokenizedShards.Exists(Resolve(tp)))) throw new InvalidDataException($"{_c.SourcePath ?? "config"}: 'dataset' is required");
        // (--benchmark-steps may time LoRA on random base weights; a real run cannot learn anything that way.)
        if (_c.FromScratch && _c.FinetuningType == "lora")
            throw new InvalidDataException($"{_c.SourcePath ?? "config"}: finetuning_type: lora needs a base model ('model_name_or_path'); use finetuning_type: full from scratch");
        string outDir = Resolve(_c.OutputDir);
        Directory.CreateDirectory(outDir);
        using var opened = OpenModel();
        var model = opened.Model;
        string? modelPath = opened.BasePath;
        var (train, val) = Split(LoadItems(opened));
        if (train.Count == 0) throw new InvalidDataException("no training examples survived loading and rendering");
        int perStep = _c.PerDeviceTrainBatchSize * _c.GradientAccumulationSteps;
        int stepsPerEpoch = Math.Max(1, train.Count / perStep);
        int total = _c.MaxSteps > 0 ? _c.MaxSteps : (int)Math.Ceiling(_c.NumTrainEpochs * stepsPerEpoch);
        int warmup = _c.WarmupSteps > 0 ? _c.WarmupSteps : (int)Math.Ceiling(_c.WarmupRatio * total);
        var objective = Objective(model, modelPath);
        var optimizer = new AdamW(model.TrainableLayout, weightDecay: _c.WeightDecay);
        var scaler = _c.Fp16 ? new DynamicLossScaler(_c.LossScale, growthInterval: _c.LossScaleWindow) : null;
        var trainer = new Trainer(model, optimizer, Schedule(total, warmup), _c.MaxGradNorm, objective: objective, lossScaler: scaler);
        var rng = new TrainRng(_c.Seed ^ 0xD20F);
        double best = double.NaN;
        int badEvals = 0;
        long start = 0;
        string? resume = _c.ResumeFromCheckpoint switch { null or "false" => null, "true" => CheckpointPath, var p => Resolve(p) };
        if (resume is not null)
        {
            if (!File.Exists(resume)) throw new FileNotFoundException($"resume_from_checkpoint: {resume} does not exist", resume);
            var meta = TrainCheckpoint.Load(resume, model, optimizer, rng);
            best = double.Parse(meta.GetValueOrDefault("best_val_loss", "NaN"), CultureInfo.InvariantCulture);
            badEvals = int.Parse(meta.GetValueOrDefault("bad_evals", "0"), CultureInfo.InvariantCulture);
            // Skipped (overflowing) FP16 steps do not advance the optimizer, so the data position is saved apart.
            start = meta.TryGetValue("global_step", out var gs) ? long.Parse(gs, CultureInfo.InvariantCulture) : optimizer.StepCount;
            if (scaler is not null && meta.TryGetValue("loss_scale", out var ls))
                scaler.Restore(float.Parse(ls, CultureInfo.InvariantCulture), int.Parse(meta.GetValueOrDefault("loss_scale_good", "0"), CultureInfo.InvariantCulture),
                    long.Parse(meta.GetValueOrDefault("loss_scale_skipped", "0"), CultureInfo.InvariantCulture));
            _log($"resumed from {resume} at step {start}");
        }
        _log($"{_c.Stage} ({_c.FinetuningType}): {train.Count} train / {val.Count} val examples, {total} steps, {model.TrainableLayout.TotalLength:N0} trainable parameters");

        int evalEvery = _c.EvalSteps > 0 ? _c.EvalSteps : _c.SaveSteps;
        using var jsonl = new StreamWriter(Path.Combine(outDir, "trainer_log.jsonl"), append: resume is not null);
        var clock = Stopwatch.StartNew();
        long tokens = 0, windowTokens = 0;
        double windowStart = 0, lastLoss = double.NaN;
        string reason = "completed";
        using var batches = new BatchPrefetcher<List<TrainBatch>>(StepBatches(train, start, total), capacity: 4);
        for (long step = start; step < total; step++)
        {
            cancel.ThrowIfCancellationRequested();
            if (!batches.TryTake(out var micro)) break;
            model.DropoutSeed = rng.NextUInt64();
            TrainStepResult r;
            try { r = trainer.Step(micro); }
            catch (NonFiniteLossException e)
            {
                string kept = File.Exists(CheckpointPath) ? $"; the last good checkpoint {CheckpointPath} is kept" : "";
                throw new InvalidOperationException($"training stopped: {e.Message}{kept}", e);
            }
            if (r.Skipped) _log($"step {step + 1}: gradients overflowed in fp16, update skipped, loss scale now {scaler!.Scale:G}");
            else lastLoss = r.Loss;
            int stepTokens = micro.Sum(b => b.Tokens.Length);
            tokens += stepTokens; windowTokens += stepTokens;
            long done = step + 1;
            var entry = new Dictionary<string, object> { ["step"] = done, ["loss"] = r.Loss, ["lr"] = r.LearningRate };
            if (double.IsFinite(r.GradNorm)) entry["grad_norm"] = r.GradNorm;
            if (scaler is not null) { entry["loss_scale"] = scaler.Scale; if (r.Skipped) entry["skipped"] = true; }
            if (done % _c.LoggingSteps == 0 || done == total)
            {
                double now = clock.Elapsed.TotalSeconds, tps = windowTokens / Math.Max(1e-9, now - windowStart);
                double eta = (total - done) * now / Math.Max(1, done - start);
                _log($"step {done}/{total}  loss {r.Loss:F4}  lr {r.LearningRate:E2}  {tps:F0} tok/s  eta {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss}");
                entry["tokens_per_second"] = tps;
                windowStart = now; windowTokens = 0;
            }
            bool stop = false;
            if (val.Count > 0 && evalEvery > 0 && (done % evalEvery == 0 || done == total))
            {
                double v = trainer.Evaluate(Batches(val));
                entry["eval_loss"] = v;
                _log($"step {done}: eval loss {v:F4}");
                if (double.IsNaN(best) || v < best) { best = v; badEvals = 0; }
                else if (_c.EarlyStoppingPatience > 0 && ++badEvals >= _c.EarlyStoppingPatience)
                {
                    reason = $"early stopping: no validation improvement for {badEvals} evaluations (best {best:F4})";
                    stop = true;
                }
            }
            jsonl.WriteLine(JsonSerializer.Serialize(entry));
            jsonl.Flush();
            bool interrupt = done == stopAfterStep;
            if ((_c.SaveSteps > 0 && done % _c.SaveSteps == 0) || done == total || stop || interrupt)
            {
                var meta = new Dictionary<string, string>
                {
                    ["best_val_loss"] = best.ToString("R", CultureInfo.InvariantCulture),
                    ["bad_evals"] = badEvals.ToString(CultureInfo.InvariantCulture),
                    ["global_step"] = done.ToString(CultureInfo.InvariantCulture),
                };
                if (scaler is not null)
                {
                    meta["loss_scale"] = scaler.Scale.ToString("R", CultureInfo.InvariantCulture);
                    meta["loss_scale_good"] = scaler.GoodSteps.ToString(CultureInfo.InvariantCulture);
                    meta["loss_scale_skipped"] = scaler.SkippedSteps.ToString(CultureInfo.InvariantCulture);
                }
                TrainCheckpoint.Save(CheckpointPath, model, optimizer, rng, meta);
            }
            if (stop) { _log(reason); break; }
            if (interrupt) return new TrainRunResult(done, lastLoss, best, "interrupted", tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
        }
        if (model.Lora is not null) PeftAdapter.Save(model, outDir, modelPath!);
        else HfModelExporter.Export(model, outDir, opened.TokenizerDir ?? modelPath);
        return new TrainRunResult(optimizer.StepCount + (scaler?.SkippedSteps ?? 0), lastLoss, best, reason, tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
    }

    // The data order is a pure function of (seed, epoch), so a resumed run skips to its step without saved cursors.
    private IEnumerable<List<TrainBatch>> StepBatches(List<object> train, long fromStep, long total)
    {
        int bs = _c.PerDeviceTrainBatchSize, accum = _c.GradientAccumulationSteps, perStep = bs * accum;
        int stepsPerEpoch = Math.Max(1, train.Count / perStep);
        for (long step = fromStep; step < total; step++)
        {
            long epoch = step / stepsPerEpoch;
            var order = Shuffled(train.Count, _c.Seed + (ulong)epoch);
            int first = (int)(step % stepsPerEpoch) * perStep;
            var micro = new List<TrainBatch>();
            for (int m = 0; m < accum; m++)
            {
                var items = Enumerable.Range(first + m * bs, bs).Select(i => train[order[i % order.Length]]).ToList();
                micro.Add(ToBatch(items));
            }
            yield return micro;
        }
    }

    private IEnumerable<TrainBatch> Batches(List<object> items)
    {
        for (int i = 0; i < items.Count; i += _c.PerDeviceTrainBatchSize)
            yield return ToBatch(items.Skip(i).Take(_c.PerDeviceTrainBatchSize).ToList());
    }

    private TrainBatch ToBatch(List<object> items) => _c.Stage switch
    {
        "dpo" => PreferenceBatch.ForLogProbs(items.Cast<PreferencePair>().ToList()),
        "rm" => PreferenceBatch.ForRewards(items.Cast<PreferencePair>().ToList()),
        _ => TrainBatch.PackMasked(items.Cast<RenderedExample>().Select(r => (r.Ids, r.LossMask)).ToList()),
    };

    private static int[] Shuffled(int n, ulong seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var r = new TrainRng(seed * 0x9E3779B97F4A7C15UL + 1);
        for (int i = n - 1; i > 0; i--) { int j = r.NextInt(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        return order;
    }

    private (List<object> Train, List<object> Val) Split(List<object> items)
    {
        int nVal = _c.ValSize <= 0 ? 0 : _c.ValSize < 1 ? (int)Math.Round(_c.ValSize * items.Count) : (int)_c.ValSize;
        if (nVal >= items.Count && nVal > 0) throw new InvalidDataException($"val_size {_c.ValSize} leaves no training examples out of {items.Count}");
        var order = Shuffled(items.Count, _c.Seed ^ 0x5A5A);
        return (order.Skip(nVal).Select(i => items[i]).ToList(), order.Take(nVal).Select(i => items[i]).ToList());
    }

    private ITrainObjective Objective(LlamaTrainModel model, string? modelPath) => _c.Stage switch
    {
        "rm" => new RewardObjective(),
        "dpo" => new DpoObjective(_c.PrefBeta, model.Lora is null
            ? PretrainedLoader.Load(modelPath ?? throw new InvalidDataException("dpo needs a base model ('model_name_or_path') as its reference"))
            : null),
        _ => new LanguageModelObjective(_c.Stage),
    };

    private LrSchedule Schedule(int total, int warmup) => _c.LrSchedulerType switch
    {
        "constant" or "constant_with_warmup" => new ConstantSchedule(_c.LearningRate, warmup),
        "linear" => new LinearSchedule(_c.LearningRate, total, warmup),
        "step" => new StepSchedule(_c.LearningRate, Math.Max(1, total / 3), 0.1f, warmup),
        "exponential" => new ExponentialSchedule(_c.LearningRate, 0.95f, warmup),
        _ => new CosineSchedule(_c.LearningRate, total, warmup),
    };

    // tokenized_path: load the shards when present, else render and save them there.
    private List<object> LoadItems(OpenedModel opened)
    {
        if (_c.TokenizedPath is null) return RenderItems(opened);
        string dir = Resolve(_c.TokenizedPath);
        if (TokenizedShards.Exists(dir)) return TokenizedDataset.Load(dir, _c.Stage);
        var items = RenderItems(opened);
        TokenizedDataset.Save(dir, _c.Stage, items);
        return items;
    }

    // Rendered examples (pt/sft) or preference pairs (rm/dpo), in dataset order.
    private List<object> RenderItems(OpenedModel opened)
    {
        string dir = Resolve(_c.DatasetDir);
        string infoPath = Path.Combine(dir, "dataset_info.json");
        var registry = File.Exists(infoPath) ? DatasetRegistry.Load(infoPath) : null;
        var tok = opened.Tokenizer!;
        var report = new DataReport();
        var pipeline = new DataPipeline([]);
        var items = new List<object>();
        if (_c.Stage == "pt")
        {
            // Documents joined with EOS and cut into cutoff_len blocks, LLaMA-Factory's pretraining packing.
            var stream = new List<int>();
            foreach (var name in _c.Dataset)
                foreach (var e in pipeline.ProcessDataset(Dataset(registry, name, dir), dir, report, kind: ExampleKind.Pretraining))
                {
                    stream.AddRange(tok.Encode(e.Content ?? "", addSpecialTokens: true));
                    if (tok.EosId is int eos) stream.Add(eos);
                }
            for (int i = 0; i + 1 < stream.Count; i += _c.CutoffLen)
            {
                var ids = stream.Skip(i).Take(_c.CutoffLen).ToArray();
                if (ids.Length >= 2) items.Add(new RenderedExample(ids, Enumerable.Repeat(true, ids.Length).ToArray()));
            }
            return items;
        }
        var template = _c.Template switch
        {
            null => opened.ChatTemplate ?? throw new InvalidDataException($"{opened.BasePath ?? opened.TokenizerDir} has no chat template; set 'template' (chatml or a .jinja path)"),
            "chatml" => new ChatTemplate(ChatMlSource, null, null),
            var p => new ChatTemplate(File.ReadAllText(Resolve(p)), null, null),
        };
        var renderer = new ConversationRenderer(template, tok, new RenderOptions(_c.CutoffLen, _c.TrainOnPrompt, _c.MaskHistory));
        foreach (var name in _c.Dataset)
            foreach (var e in pipeline.ProcessDataset(Dataset(registry, name, dir), dir, report))
            {
                if (_c.Stage is "rm" or "dpo")
                {
                    if (e.Chosen is null) throw new InvalidDataException($"{_c.Stage} needs a ranking dataset; '{name}' example {e.Origin} has no chosen/rejected");
                    var (p, ch, rj) = renderer.RenderPreference(e);
                    if (ch.Length > 0 && rj.Length > 0) items.Add(new PreferencePair(p, ch, rj));
                }
                else
                {
                    var r = renderer.RenderSupervised(e);
                    if (r.Ids.Length >= 2 && r.LossMask.Skip(1).Any(m => m)) items.Add(r);
                }
            }
        return items;
    }

    // A dataset_info.json entry, or else a file or folder of that name in dataset_dir (plain .txt, .jsonl, ...).
    private static DatasetInfo Dataset(DatasetRegistry? registry, string name, string dir)
    {
        if (registry is not null && registry.Datasets.TryGetValue(name, out var info)) return info;
        if (File.Exists(Path.Combine(dir, name)) || Directory.Exists(Path.Combine(dir, name))) return new DatasetInfo { Name = name, FileName = name };
        throw new InvalidDataException(registry is null
            ? $"dataset '{name}': {dir} has no dataset_info.json and no file or folder of that name"
            : $"dataset '{name}' is neither in {Path.Combine(dir, "dataset_info.json")} nor a file or folder in {dir}");
    }

    /// <summary>
    /// Builds the run's model: the base model (with its tokenizer and chat template), or from scratch a randomly
    /// initialized one shaped by <c>model_config</c> / the inline shape keys with the <c>tokenizer</c> folder's vocabulary.
    /// </summary>
    internal OpenedModel OpenModel(bool needTokenizer = true)
    {
        var options = new TrainModelOptions(_c.Recompute, _c.Lora(), ValueHead: _c.Stage == "rm", Precision: _c.Precision);
        string? tokDir = _c.Tokenizer is null ? null : Resolve(_c.Tokenizer);
        if (!_c.FromScratch)
        {
            string path = Resolve(_c.ModelNameOrPath);
            var model = PretrainedLoader.Load(path, options, _c.Seed);
            var loaded = needTokenizer ? ModelLoader.Load(path, tokDir) : null;
            return new OpenedModel(model, loaded?.Tokenizer, loaded?.ChatTemplate, path, tokDir, loaded);
        }
        Tokenizer? tok = null;
        ChatTemplate? template = null;
        if (tokDir is not null)
        {
            if (!File.Exists(Path.Combine(tokDir, "tokenizer.json"))) throw new FileNotFoundException($"tokenizer: no tokenizer.json in {tokDir}", Path.Combine(tokDir, "tokenizer.json"));
            tok = HfTokenizer.FromDirectory(tokDir);
            string tc = Path.Combine(tokDir, "tokenizer_config.json");
            if (File.Exists(tc) && File.ReadAllText(tc).Contains("\"chat_template\"", StringComparison.Ordinal)) template = ChatTemplate.FromTokenizerConfig(tc);
        }
        else if (needTokenizer) throw new InvalidDataException($"{_c.SourcePath ?? "config"}: training from scratch needs 'tokenizer' (a folder with tokenizer.json)");
        var cfg = _c.Shape.Build(_c.ModelConfig is null ? null : Resolve(_c.ModelConfig), tok?.VocabSize, tok?.BosId, tok?.EosId, _c.CutoffLen);
        var scratch = new LlamaTrainModel(cfg, options);
        scratch.InitializeWeights(_c.Seed, _c.InitializerRange);
        return new OpenedModel(scratch, tok, template, null, tokDir, null);
    }

    /// <summary>The built-in ChatML template (<c>template: chatml</c>).</summary>
    public const string ChatMlSource =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% if message['content'] %}{{ message['content'] }}{% endif %}" +
        // Tool calls as Hermes/Qwen <tool_call> blocks, so function-call turns are trained rather than rendered empty.
        "{% if message['tool_calls'] %}{% for tc in message['tool_calls'] %}{% if message['content'] or not loop.first %}{{ '\\n' }}{% endif %}" +
        "{{ '<tool_call>\\n' + (tc['function'] | tojson) + '\\n</tool_call>' }}{% endfor %}{% endif %}{{ '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
}

/// <summary>The model of a run and where its tokenizer came from.</summary>
internal sealed record OpenedModel(LlamaTrainModel Model, Tokenizer? Tokenizer, ChatTemplate? ChatTemplate, string? BasePath, string? TokenizerDir,
    IDisposable? Owner) : IDisposable
{
    public void Dispose() => Owner?.Dispose();
}
