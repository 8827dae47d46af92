using BenchmarkDotNet.Running;
using Tokamak.Bench;

// End-to-end engine benchmark: dotnet run -c Release --project bench/Tokamak.Bench -- engine-decode --tokenizer DIR
if (args is ["engine-decode", .. var rest]) return EngineDecodeBench.Run(rest);

// Tokenizer encode speed: dotnet run -c Release --project bench/Tokamak.Bench -- tokenizer-speed
if (args is ["tokenizer-speed"]) return TokenizerEncodeBench.RunSpeed();

// Kernel micro-benchmarks: dotnet run -c Release --project bench/Tokamak.Bench -- --filter '*'
// (see KernelBenchConfig for the short-run settings and the GB/s and GFLOP/s columns).
BenchmarkSwitcher.FromAssembly(typeof(KernelBenchConfig).Assembly).Run(args, new KernelBenchConfig());
return 0;
