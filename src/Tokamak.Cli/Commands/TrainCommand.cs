using System.CommandLine;
using Tokamak.Training;
using Tokamak.Training.Config;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak train --config FILE.yaml</c>: pt / sft / rm / dpo, full or LoRA, LLaMA-Factory-style config.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "Training config (YAML, LLaMA-Factory key names)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from output_dir/checkpoint.safetensors" };
        var cmd = new Command("train", "Pretrain, fine-tune (full or LoRA), reward-model or DPO-train a model from a YAML config");
        cmd.Add(config);
        cmd.Add(resume);
        cmd.SetAction((r, cancel) =>
        {
            var cfg = TrainConfig.Load(r.GetValue(config)!);
            if (r.GetValue(resume)) cfg.ResumeFromCheckpoint = "true";
            var result = new TrainingRun(cfg, line => Console.Error.WriteLine(line)).Run(cancel);
            Console.WriteLine($"{result.StopReason}: {result.Steps} steps, final loss {result.FinalLoss:F4}, {result.TokensPerSecond:F0} tokens/s");
            return Task.FromResult(0);
        });
        return cmd;
    }
}
