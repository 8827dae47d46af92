using BenchmarkDotNet.Running;
using Tokamak.Bench;

// Kernel micro-benchmarks: dotnet run -c Release --project bench/Tokamak.Bench -- --filter '*'
// (see KernelBenchConfig for the short-run settings and the GB/s and GFLOP/s columns).
BenchmarkSwitcher.FromAssembly(typeof(KernelBenchConfig).Assembly).Run(args, new KernelBenchConfig());
