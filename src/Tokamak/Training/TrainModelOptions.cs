using Tokamak.Training.Kernels;
using Tokamak.Training.Lora;

namespace Tokamak.Training;

/// <summary>How a <see cref="LlamaTrainModel"/> is built beyond its shape.</summary>
/// <param name="RecomputeActivations">Keep only each block's input in forward and recompute the block inside backward.</param>
/// <param name="Lora">When set, the base weights are frozen and only LoRA adapters (and the value head, if any) train.</param>
/// <param name="ValueHead">Adds a scalar head <c>v_head.summary</c> (<c>[1, hidden]</c> + bias) for reward modelling.</param>
/// <param name="Precision">
/// Format the operands of every linear layer's forward and backward matmuls are rounded to (BF16/F16 mixed
/// precision); parameters, gradients, optimizer state and all other layers stay FP32.
/// </param>
public sealed record TrainModelOptions(bool RecomputeActivations = false, LoraSettings? Lora = null, bool ValueHead = false,
    MatMulPrecision Precision = MatMulPrecision.F32);
