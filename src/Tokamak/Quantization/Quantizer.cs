using Tokamak.Models;
using Tokamak.Models.Formats;
using Tokamak.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Quantization;

/// <summary>What <see cref="Quantizer.Run"/> wrote.</summary>
/// <param name="Architecture">GGUF <c>general.architecture</c>.</param>
/// <param name="TensorTypes">Each tensor's name and type, in file order.</param>
/// <param name="Bytes">Size of the written file.</param>
public sealed record QuantizeSummary(string Architecture, IReadOnlyList<(string Name, DType Type)> TensorTypes, long Bytes);

/// <summary>
/// Converts a model in any format Tokamak loads (Hugging Face folder, GGUF, llama2.c) to a self-contained GGUF
/// with llama.cpp-compatible names and metadata, quantizing every matrix by a <see cref="QuantRecipe"/>
/// (round-to-nearest). Vectors stay F32.
/// </summary>
/// <remarks>
/// Architecture: a GGUF source keeps its own; Hugging Face Llama/Mistral become <c>llama</c> and Qwen2/Qwen3
/// <c>qwen2</c>/<c>qwen3</c>; llama2.c becomes <c>llama</c>. GGUF <c>llama</c> files store Q/K rows in the
/// order interleaved RoPE expects (llama.cpp's converter permutes them), so rows of a NeoX-style source
/// (Hugging Face) are permuted the same way: within each head of d rows, new row 2i is old row i and new row
/// 2i+1 is old row i + d/2.
/// </remarks>
public static unsafe class Quantizer
{
    /// <summary>Quantizes <paramref name="input"/> to the GGUF file <paramref name="output"/>.</summary>
    public static QuantizeSummary Run(string input, string output, QuantRecipe recipe, string? tokenizerPath = null, Action<string>? log = null)
    {
        using var model = ModelLoader.Load(input, tokenizerPath);
        return Write(model, input, output, recipe, tokenizerPath, log);
    }

    /// <summary>
    /// Writes <paramref name="model"/> (loaded from <paramref name="input"/>) to the GGUF file <paramref name="output"/>.
    /// When <paramref name="weights"/> is given it replaces the model's weights (same shapes, e.g. a GPTQ result), and
    /// every matrix in <paramref name="preQuantized"/> is written block for block as it is (only Q/K rows reordered
    /// when the architecture needs it) instead of being requantized by <paramref name="recipe"/>.
    /// </summary>
    public static QuantizeSummary Write(LoadedModel model, string input, string output, QuantRecipe recipe, string? tokenizerPath = null,
        Action<string>? log = null, Models.Architectures.LlamaWeights? weights = null, IReadOnlySet<Tensor>? preQuantized = null)
    {
        var cfg = model.Config;
        var lw = weights ?? model.Weights.Weights;
        if (lw.Layers.Length != cfg.Layers) throw new ArgumentException($"weights have {lw.Layers.Length} layers, the model {cfg.Layers}");
        string arch = GgufArchitecture(model);
        bool permute = cfg.RopeStyle == RopeStyle.Neox && arch is "llama" or "mistral";

        var w = new GgufWriter();
        w.Set("general.architecture", arch);
        if (model.Weights.Format == ModelFormat.Gguf)
            foreach (var (k, v) in ((GgufFile)model.Weights.Source).Metadata)
                if (!k.StartsWith("tokenizer.", StringComparison.Ordinal)) w.Set(k, v);
        w.Set("general.name", model.Name);
        AddConfig(w, arch, cfg);
        w.Set("general.file_type", recipe.FileType);
        w.Set("general.quantization_version", 2u);
        GgufTokenizerMetadata.Add(w, model, input, tokenizerPath);

        var types = new List<(string, DType)>();
        void Matrix(string name, Tensor src, TensorRole role, int layer, int heads = 0)
        {
            bool keep = preQuantized?.Contains(src) == true;
            var t = keep ? src.DType : recipe.TypeFor(role, src.Cols, layer, cfg.Layers);
            types.Add((name, t));
            int[]? order = heads > 0 && permute ? RopeRowOrder(src.Rows, heads) : null;
            w.AddTensor(name, t, [src.Rows, src.Cols], s =>
            {
                if (keep) CopyRows(s, src, order);
                else WriteMatrix(s, src, t, order, name);
            });
        }
        void Vector(string name, float[] v, int heads = 0)
        {
            types.Add((name, DType.F32));
            var data = heads > 0 && permute ? Permuted(v, RopeRowOrder(v.Length, heads)) : v;
            w.AddTensor(name, DType.F32, [data.Length], s => s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())));
        }

        bool tied = ReferenceEquals(lw.Output, lw.Embedding);
        Matrix("token_embd.weight", lw.Embedding, tied ? TensorRole.Output : TensorRole.Embedding, 0);
        for (int l = 0; l < cfg.Layers; l++)
        {
            var L = lw.Layers[l];
            string p = $"blk.{l}.";
            Vector(p + "attn_norm.weight", L.AttnNorm);
            Matrix(p + "attn_q.weight", L.Wq, TensorRole.Other, l, cfg.Heads);
            Matrix(p + "attn_k.weight", L.Wk, TensorRole.Other, l, cfg.KvHeads);
            Matrix(p + "attn_v.weight", L.Wv, TensorRole.AttnV, l);
            if (L.Bq is not null) Vector(p + "attn_q.bias", L.Bq, cfg.Heads);
            if (L.Bk is not null) Vector(p + "attn_k.bias", L.Bk, cfg.KvHeads);
            if (L.Bv is not null) Vector(p + "attn_v.bias", L.Bv);
            if (L.QNorm is not null) Vector(p + "attn_q_norm.weight", L.QNorm);
            if (L.KNorm is not null) Vector(p + "attn_k_norm.weight", L.KNorm);
            Matrix(p + "attn_output.weight", L.Wo, TensorRole.Other, l);
            Vector(p + "ffn_norm.weight", L.FfnNorm);
            Matrix(p + "ffn_gate.weight", L.Gate, TensorRole.Other, l);
            Matrix(p + "ffn_up.weight", L.Up, TensorRole.Other, l);
            Matrix(p + "ffn_down.weight", L.Down, TensorRole.FfnDown, l);
        }
        Vector("output_norm.weight", lw.FinalNorm);
        if (!tied) Matrix("output.weight", lw.Output, TensorRole.Output, cfg.Layers - 1);

        log?.Invoke($"writing {types.Count} tensors ({string.Join(", ", types.GroupBy(t => t.Item2).Select(g => $"{g.Count()}× {DTypes.Name(g.Key)}"))}) as {arch}");
        w.Write(output);
        return new QuantizeSummary(arch, types, new FileInfo(output).Length);
    }

    /// <summary>The GGUF architecture name for a loaded model.</summary>
    public static string GgufArchitecture(LoadedModel model) => model.Weights.Format switch
    {
        ModelFormat.Gguf => model.Config.Architecture,
        ModelFormat.Llama2c => "llama",
        _ => model.Config.Architecture switch
        {
            "LlamaForCausalLM" or "MistralForCausalLM" => "llama",
            "Qwen2ForCausalLM" => "qwen2",
            "Qwen3ForCausalLM" => "qwen3",
            var a => throw new NotSupportedException($"no GGUF architecture for '{a}'"),
        },
    };

    private static void AddConfig(GgufWriter w, string arch, ModelConfig cfg)
    {
        w.Set($"{arch}.context_length", (uint)cfg.MaxPositions);
        w.Set($"{arch}.embedding_length", (uint)cfg.HiddenSize);
        w.Set($"{arch}.block_count", (uint)cfg.Layers);
        w.Set($"{arch}.feed_forward_length", (uint)cfg.IntermediateSize);
        w.Set($"{arch}.attention.head_count", (uint)cfg.Heads);
        w.Set($"{arch}.attention.head_count_kv", (uint)cfg.KvHeads);
        w.Set($"{arch}.attention.key_length", (uint)cfg.HeadDim);
        w.Set($"{arch}.attention.value_length", (uint)cfg.HeadDim);
        w.Set($"{arch}.rope.dimension_count", (uint)cfg.HeadDim);
        w.Set($"{arch}.attention.layer_norm_rms_epsilon", cfg.RmsEps);
        w.Set($"{arch}.rope.freq_base", cfg.RopeTheta);
        w.Set($"{arch}.vocab_size", (uint)cfg.VocabSize);
        if (cfg.RopeScaling is { } rs)
        {
            w.Set($"{arch}.rope.scaling.type", rs.Type);
            w.Set($"{arch}.rope.scaling.factor", rs.Factor);
            w.Set($"{arch}.rope.scaling.original_context_length", (uint)rs.OriginalMaxPositions);
        }
    }

    /// <summary>Source row for each output row when converting NeoX-ordered Q/K rows to interleaved order.</summary>
    internal static int[] RopeRowOrder(int rows, int heads)
    {
        int d = rows / heads, half = d / 2;
        var order = new int[rows];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
            {
                order[h * d + 2 * i] = h * d + i;
                order[h * d + 2 * i + 1] = h * d + half + i;
            }
        return order;
    }

    private static float[] Permuted(float[] v, int[] order)
    {
        var r = new float[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = v[order[i]];
        return r;
    }

    // Streams src's rows unchanged (blocks never span rows, so reordering rows keeps every block intact).
    private static void CopyRows(Stream s, Tensor src, int[]? order)
    {
        if (order is null)
        {
            for (long off = 0; off < src.ByteLength; off += int.MaxValue / 2)
                s.Write(new ReadOnlySpan<byte>(src.Data + off, (int)Math.Min(int.MaxValue / 2, src.ByteLength - off)));
            return;
        }
        for (int r = 0; r < src.Rows; r++) s.Write(new ReadOnlySpan<byte>(src.Row(order[r]), (int)src.RowBytes));
    }

    // Streams [rows, cols] of src converted to t, in chunks quantized in parallel.
    private static void WriteMatrix(Stream s, Tensor src, DType t, int[]? order, string name)
    {
        int rows = src.Rows, cols = src.Cols;
        long outRow = DTypes.ByteCount(t, cols);
        int chunk = (int)Math.Clamp((16L << 20) / Math.Max(outRow, 1), 1, rows);
        var buf = new byte[chunk * outRow];
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int n = Math.Min(chunk, rows - r0);
            fixed (byte* pb = buf)
            {
                byte* basePtr = pb;
                Parallel.For(0, n, () => new float[cols], (i, _, row) =>
                {
                    int sr = order?[r0 + i] ?? r0 + i;
                    Dequant.Row(src.DType, src.Row(sr), row);
                    foreach (float v in row)
                        if (!float.IsFinite(v)) throw new InvalidDataException($"tensor '{name}' row {sr} holds a non-finite value ({v})");
                    Quantize.Row(t, row, basePtr + i * outRow);
                    return row;
                }, _ => { });
            }
            s.Write(buf, 0, (int)(n * outRow));
        }
    }
}
