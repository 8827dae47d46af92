using System.CommandLine;
using Tokamak.Server;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Cli.Commands;

/// <summary>
/// <c>tokamak serve</c>: the OpenAI-compatible HTTP server. Settings come from appsettings.json and Tokamak__* style
/// environment variables (section <c>Tokamak</c>) first; options given here override them.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model: a Hugging Face folder, a .gguf file or a llama2.c .bin" };
        var host = new Option<string?>("--host") { Description = "Address to bind (default 127.0.0.1)" };
        var port = new Option<int?>("--port") { Description = "Port (default 8000; 0 picks a free one)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this bearer key on every /v1 request" };
        var name = new Option<string?>("--served-model-name") { Description = "Model id reported by /v1/models and accepted in requests" };
        var maxSeqs = new Option<int?>("--max-num-seqs") { Description = "Most sequences decoded together" };
        var kvMemory = new Option<string?>("--kv-cache-memory") { Description = "KV cache budget, e.g. 2GiB or 512MB (default: a fraction of free RAM)" };
        var kvDType = new Option<string?>("--kv-cache-dtype") { Description = "KV cache element type: f32 (default) or int8 (about 4x the blocks)" };
        var threads = new Option<int>("--threads", "-t") { Description = "Compute threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API") { model, host, port, apiKey, name, maxSeqs, kvMemory, kvDType, threads };
        cmd.SetAction(async (r, ct) =>
        {
            int t = r.GetValue(threads);
            if (t < 1 || t > 1024) throw new CliException($"--threads must be between 1 and 1024, got {t}");
            ComputePool.Configure(t);
            var options = ServerHost.LoadOptions(o =>
            {
                if (r.GetValue(model) is { } m) o.Model = m;
                if (r.GetValue(host) is { } h) o.Host = h;
                if (r.GetValue(port) is int p) o.Port = p;
                if (r.GetValue(apiKey) is { } k) o.ApiKey = k;
                if (r.GetValue(name) is { } n) o.ServedModelName = n;
                if (r.GetValue(maxSeqs) is int s) o.MaxNumSeqs = s;
                if (r.GetValue(kvMemory) is { } kv) o.KvCacheMemory = kv;
                if (r.GetValue(kvDType) is { } kd) o.KvCacheDType = kd;
            });
            if (string.IsNullOrEmpty(options.Model) && File.Exists(CommonOptions.DefaultModelPath)) options.Model = CommonOptions.DefaultModelPath;
            if (string.IsNullOrEmpty(options.Model)) throw new CliException("no model: give --model PATH (or Tokamak:Model in appsettings.json / Tokamak__Model)");
            return await ServerHost.RunAsync(options, ct);
        });
        return cmd;
    }
}
