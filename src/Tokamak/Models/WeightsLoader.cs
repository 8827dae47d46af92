using Tokamak.Models.Architectures;
using Tokamak.Models.Formats;

namespace Tokamak.Models;

/// <summary>The weights of a model as opened from disk: its format, config, tensors and the files that back them.</summary>
public sealed class LoadedWeights : IDisposable
{
    /// <summary>Creates the bundle; takes ownership of <paramref name="source"/>.</summary>
    public LoadedWeights(string path, ModelFormat format, ModelConfig config, ITensorSource source, LlamaWeights weights)
    {
        Path = path;
        Format = format;
        Config = config;
        Source = source;
        Weights = weights;
    }

    /// <summary>The path the user gave.</summary>
    public string Path { get; }

    /// <summary>The format detected.</summary>
    public ModelFormat Format { get; }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>The open files.</summary>
    public ITensorSource Source { get; }

    /// <summary>Bound weights.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>
    /// Reads one byte of every page of every weight matrix so the first forward pass does not stall on page faults;
    /// <paramref name="progress"/> gets (bytes done, bytes total). Mapping itself is instant, this is the real load.
    /// </summary>
    public unsafe void Prefetch(Action<long, long>? progress = null)
    {
        var tensors = Weights.Matrices().ToList();
        long total = tensors.Sum(t => t.ByteLength), done = 0, reported = 0;
        int sink = 0;
        foreach (var t in tensors)
        {
            for (long off = 0; off < t.ByteLength; off += 4096)
            {
                sink += t.Data[off];
                if (progress is not null && done + off - reported >= 32L << 20)
                {
                    reported = done + off;
                    progress(reported, total);
                }
            }
            done += t.ByteLength;
        }
        progress?.Invoke(total, total);
        GC.KeepAlive(sink);
    }

    /// <summary>Unmaps the files; the weights must not be used afterwards.</summary>
    public void Dispose() => Source.Dispose();
}

/// <summary>Opens a model path in any supported format, detecting which from the path.</summary>
public static class WeightsLoader
{
    /// <summary>Detects the format of <paramref name="path"/> (a folder with config.json, a .gguf or a llama2.c .bin).</summary>
    public static ModelFormat Detect(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(System.IO.Path.Combine(path, "config.json"))) return ModelFormat.HuggingFace;
            var ggufs = Directory.GetFiles(path, "*.gguf");
            if (ggufs.Length > 0) return ModelFormat.Gguf;
            throw new FileNotFoundException($"{path} has neither config.json (Hugging Face) nor a .gguf file");
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return ModelFormat.Gguf;
        Span<byte> magic = stackalloc byte[4];
        using (var fs = File.OpenRead(path))
            if (fs.Read(magic) == 4 && magic.SequenceEqual("GGUF"u8)) return ModelFormat.Gguf;
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return ModelFormat.HuggingFace;
        return ModelFormat.Llama2c;
    }

    /// <summary>The .gguf file for a path that is either the file or a folder holding exactly one.</summary>
    public static string GgufPath(string path)
    {
        if (!Directory.Exists(path)) return path;
        var files = Directory.GetFiles(path, "*.gguf");
        return files.Length == 1 ? files[0] : throw new InvalidDataException($"{path} holds {files.Length} .gguf files; name one");
    }

    /// <summary>Opens, validates and binds the weights of <paramref name="path"/>.</summary>
    public static LoadedWeights Load(string path)
    {
        var format = Detect(path);
        switch (format)
        {
            case ModelFormat.HuggingFace:
                {
                    string dir = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
                    var cfg = HfConfigReader.Read(dir);
                    var src = new SafeTensorsModel(dir);
                    return Bind(path, format, cfg, src);
                }
            case ModelFormat.Gguf:
                {
                    var g = new GgufFile(GgufPath(path));
                    ModelConfig cfg;
                    try
                    {
                        cfg = GgufConfigReader.Read(g);
                    }
                    catch
                    {
                        g.Dispose();
                        throw;
                    }
                    return Bind(path, format, cfg, g);
                }
            default:
                {
                    var ck = new Llama2cCheckpoint(path);
                    return Bind(path, format, ck.Config, ck);
                }
        }
    }

    private static LoadedWeights Bind(string path, ModelFormat format, ModelConfig cfg, ITensorSource src)
    {
        try
        {
            return new LoadedWeights(path, format, cfg, src, LlamaWeights.Bind(src, cfg));
        }
        catch
        {
            src.Dispose();
            throw;
        }
    }
}
