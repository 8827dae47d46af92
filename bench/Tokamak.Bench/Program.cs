if (args is ["engine-decode", .. var rest]) return Tokamak.Bench.EngineDecodeBench.Run(rest);
return 0;
