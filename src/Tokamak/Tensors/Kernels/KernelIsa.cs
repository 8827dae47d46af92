using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tokamak.Tensors.Kernels;

/// <summary>Instruction-set paths of the kernels, as flags so a set of allowed paths can be forced.</summary>
[Flags]
public enum Isa
{
    /// <summary>Plain C# loops; runs anywhere and serves as the reference for the SIMD paths.</summary>
    Scalar = 1,
    /// <summary>256-bit AVX2 + FMA.</summary>
    Avx2 = 2,
    /// <summary>512-bit AVX-512 F + BW.</summary>
    Avx512 = 4,
}

/// <summary>
/// The instruction set the kernels use, detected once at start-up. Tests narrow it with <see cref="Force"/> to
/// exercise each path on one machine.
/// </summary>
public static class KernelIsa
{
    /// <summary>Every path this CPU can run.</summary>
    public static Isa Supported { get; } = Detect();

    private static Isa _active = Best(Supported);

    /// <summary>The path kernels take now (the best supported one unless forced).</summary>
    public static Isa Active => _active;

    /// <summary>
    /// Restricts kernels to the best path in <paramref name="allowed"/> that the CPU supports (scalar is always
    /// available) until the returned handle is disposed. Process-wide: meant for tests and benchmarks.
    /// </summary>
    internal static IDisposable Force(Isa allowed)
    {
        var previous = _active;
        _active = Best(Supported & (allowed | Isa.Scalar));
        return new Restore(previous);
    }

    private static Isa Best(Isa set) =>
        (set & Isa.Avx512) != 0 ? Isa.Avx512 : (set & Isa.Avx2) != 0 ? Isa.Avx2 : Isa.Scalar;

    private static Isa Detect()
    {
        var isa = Isa.Scalar;
        if (Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated) isa |= Isa.Avx2;
        if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported && Vector512.IsHardwareAccelerated
            && (isa & Isa.Avx2) != 0)
            isa |= Isa.Avx512;
        return isa;
    }

    private sealed class Restore(Isa previous) : IDisposable
    {
        public void Dispose() => _active = previous;
    }
}
