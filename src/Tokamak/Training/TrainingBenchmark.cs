using System.Diagnostics;
using Tokamak.Tensors.Kernels;
using Tokamak.Training.Config;
using Tokamak.Training.Kernels;
using Tokamak.Training.Lora;
using Tokamak.Training.Optim;

namespace Tokamak.Training;

/// <summary>Throughput of a few training steps on synthetic tokens.</summary>
/// <param name="Steps">Timed optimizer steps (after one untimed warm-up step).</param>
/// <param name="TokensPerStep">Tokens per optimizer step (batch × cutoff_len × accumulation).</param>
/// <param name="SecondsPerStep">Mean wall time of a timed step (forward, backward, clipping, AdamW).</param>
/// <param name="TokensPerSecond">Training throughput.</param>
/// <param name="ModelGflopsPerStep">Model FLOPs of one step (see <see cref="TrainingBenchmark.ModelFlopsPerToken"/>), in GFLOP.</param>
/// <param name="AchievedGflops">Model FLOPs per second.</param>
/// <param name="PeakGflops">Measured FP32 FMA peak of the machine, in the same process.</param>
/// <param name="Parameters">All model parameters.</param>
/// <param name="TrainableParameters">Parameters the optimizer updates.</param>
/// <param name="ActivationBytes">Activation and gradient scratch held by the model.</param>
/// <param name="PeakRssBytes">Peak resident set size of the process so far.</param>
/// <param name="FinalLoss">Loss of the last step (sanity: finite, near ln vocab for random weights).</param>
public sealed record TrainBenchmarkResult(int Steps, int TokensPerStep, double SecondsPerStep, double TokensPerSecond, double ModelGflopsPerStep,
    double AchievedGflops, double PeakGflops, long Parameters, long TrainableParameters, long ActivationBytes, long PeakRssBytes, double FinalLoss)
{
    /// <summary>Model FLOPs utilization against the measured FP32 peak.</summary>
    public double Mfu => AchievedGflops / PeakGflops;
}

/// <summary>
/// <c>tokamak train --benchmark-steps N</c>: builds the configured model (base or from scratch), trains it for a
/// warm-up step plus N steps on random tokens shaped like the config's batches (per_device_train_batch_size
/// sequences of cutoff_len tokens, gradient_accumulation_steps micro-batches), and reports tokens/s and model FLOPs
/// utilization against an FMA peak measured in the same run. No data, checkpoint or export is touched.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Runs the benchmark; <paramref name="log"/> receives one line per step.</summary>
    public static TrainBenchmarkResult Run(TrainConfig config, int steps, Action<string>? log = null)
    {
        if (steps < 1) throw new ArgumentException($"benchmark needs at least one step, got {steps}");
        log ??= _ => { };
        double peak = Tokamak.Tensors.Kernels.FmaPeak.MeasureGFlops();
        log($"fp32 FMA peak: {peak:F0} GFLOP/s on {ComputePool.Shared.Threads} threads ({KernelIsa.Active})");
        using var opened = new TrainingRun(config).OpenModel(needTokenizer: false);
        var model = opened.Model;
        var c = model.Config;
        var rng = new TrainRng(config.Seed);
        int seq = config.CutoffLen, batch = config.PerDeviceTrainBatchSize;
        List<TrainBatch> Step()
        {
            var micro = new List<TrainBatch>();
            for (int m = 0; m < config.GradientAccumulationSteps; m++)
            {
                var seqs = new List<int[]>();
                for (int b = 0; b < batch; b++)
                {
                    var ids = new int[seq];
                    for (int i = 0; i < seq; i++) ids[i] = rng.NextInt(c.VocabSize);
                    seqs.Add(ids);
                }
                micro.Add(TrainBatch.Pack(seqs));
            }
            return micro;
        }
        var trainer = new Trainer(model, new AdamW(model.TrainableLayout, weightDecay: config.WeightDecay), new ConstantSchedule(config.LearningRate, 0),
            config.MaxGradNorm, lossScaler: config.Fp16 ? new DynamicLossScaler(config.LossScale, growthInterval: config.LossScaleWindow) : null);
        var warm = trainer.Step(Step());
        log($"warm-up step: loss {warm.Loss:F4}");
        var batches = Enumerable.Range(0, steps).Select(_ => Step()).ToList();
        var sw = Stopwatch.StartNew();
        double loss = double.NaN;
        foreach (var b in batches)
        {
            var t0 = sw.Elapsed.TotalSeconds;
            loss = trainer.Step(b).Loss;
            log($"step: {sw.Elapsed.TotalSeconds - t0:F3} s, loss {loss:F4}");
        }
        double seconds = sw.Elapsed.TotalSeconds / steps;
        int tokens = seq * batch * config.GradientAccumulationSteps;
        double gflop = ModelFlopsPerToken(c, model.Lora, seq) * tokens / 1e9;
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new TrainBenchmarkResult(steps, tokens, seconds, tokens / seconds, gflop, gflop / seconds, peak,
            model.Layout.TotalLength, model.TrainableLayout.TotalLength, model.ActivationBytes, self.PeakWorkingSet64, loss);
    }

    /// <summary>
    /// Model FLOPs per trained token (recomputation not counted): 6 per weight of every matmul (forward, input and
    /// weight gradient) — 4 for frozen LoRA bases, which need no weight gradient, plus 6 per adapter weight — and
    /// causal attention, <c>12 · layers · heads · head_dim · (S + 1) / 2</c> for sequences of <paramref name="seqLen"/>.
    /// The embedding lookup is free; an untied or tied LM head counts as a matmul.
    /// </summary>
    public static double ModelFlopsPerToken(Models.ModelConfig c, LoraSettings? lora, int seqLen)
    {
        double perLayer = (double)c.HiddenSize * (c.QDim + 2 * c.KvDim) + (double)c.QDim * c.HiddenSize + 3.0 * c.HiddenSize * c.IntermediateSize;
        double matmul = c.Layers * perLayer + (double)c.VocabSize * c.HiddenSize;
        double flops = (lora is null ? 6 : 4) * matmul;
        if (lora is not null)
            foreach (var m in lora.Targets)
            {
                var (o, i) = ParameterLayout.ProjectionShape(c, m);
                flops += 6.0 * c.Layers * lora.Rank * (o + i);
            }
        return flops + 12.0 * c.Layers * c.QDim * (seqLen + 1) / 2.0;
    }
}
