using System.CommandLine;
using System.Globalization;
using Tokamak.Training;
using Tokamak.Training.Config;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak train --config FILE.yaml</c>: pt / sft / rm / dpo, full or LoRA, from a base model or from scratch,
/// LLaMA-Factory-style config. <c>--benchmark-steps N</c> times N steps on random tokens instead of training.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "Training config (YAML, LLaMA-Factory key names)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from output_dir/checkpoint.safetensors" };
        var set = new Option<string[]>("--set") { Description = "Override a config key: --set key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var bench = new Option<int>("--benchmark-steps")
        {
            Description = "Time N training steps on random tokens shaped like the config's batches and report tokens/s, MFU and peak memory",
        };
        var cmd = new Command("train", "Pretrain, fine-tune (full or LoRA), reward-model or DPO-train a model from a YAML config");
        cmd.Add(config);
        cmd.Add(resume);
        cmd.Add(set);
        cmd.Add(bench);
        cmd.SetAction((r, cancel) =>
        {
            string path = r.GetValue(config)!;
            var cfg = TrainConfigOverrides.Load(path, r.GetValue(set) ?? []);
            if (r.GetValue(resume)) cfg.ResumeFromCheckpoint = "true";
            int steps = r.GetValue(bench);
            if (steps > 0)
            {
                var b = TrainingBenchmark.Run(cfg, steps, line => Console.Error.WriteLine(line));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{b.TokensPerStep} tokens/step, {b.SecondsPerStep:F3} s/step, {b.TokensPerSecond:F0} tokens/s, {b.AchievedGflops:F1} GFLOP/s model " +
                    $"({b.ModelGflopsPerStep:F1} GFLOP/step), peak {b.PeakGflops:F0} GFLOP/s, MFU {b.Mfu:P1}, params {b.Parameters / 1e6:F1} M " +
                    $"(trainable {b.TrainableParameters / 1e6:F2} M), activations {b.ActivationBytes / 1048576.0:F0} MiB, peak RSS {b.PeakRssBytes / 1048576.0:F0} MiB, loss {b.FinalLoss:F3}"));
                return Task.FromResult(0);
            }
            var result = new TrainingRun(cfg, line => Console.Error.WriteLine(line)).Run(cancel);
            Console.WriteLine($"{result.StopReason}: {result.Steps} steps, final loss {result.FinalLoss:F4}, {result.TokensPerSecond:F0} tokens/s");
            return Task.FromResult(0);
        });
        return cmd;
    }
}
