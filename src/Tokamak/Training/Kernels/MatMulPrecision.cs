namespace Tokamak.Training.Kernels;

/// <summary>
/// Number format the operands of a training matmul are rounded to before they are multiplied. Products are
/// always accumulated in FP32, and the master weights stay FP32 (mixed precision).
/// </summary>
public enum MatMulPrecision
{
    /// <summary>Plain FP32 operands.</summary>
    F32,
    /// <summary>Operands rounded to bfloat16 (round to nearest even): 8-bit mantissa, FP32's range.</summary>
    BF16,
    /// <summary>Operands rounded to IEEE half: 11-bit mantissa, overflow above 65504 to ±Inf (hence loss scaling).</summary>
    F16,
}
