using Tokamak.Tensors.Kernels;

namespace Tokamak.Tests.Tensors;

/// <summary>
/// Tests that force a kernel path with <see cref="KernelIsa.Force"/> (process-wide state) run in this collection,
/// one at a time and not alongside other collections.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelIsaCollection
{
    public const string Name = "KernelIsa";

    /// <summary>The paths to test: every one this CPU supports.</summary>
    public static IEnumerable<Isa> Paths =>
        new[] { Isa.Scalar, Isa.Avx2, Isa.Avx512 }.Where(p => (KernelIsa.Supported & p) != 0);
}
