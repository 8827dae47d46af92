using System.CommandLine;
using System.Text.Json;
using Tokamak.Tensors;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak info</c>: architecture, parameters, dtypes and memory of a model.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var cmd = new Command("info", "Describe a model: architecture, parameters, dtypes, memory");
        o.AddModel(cmd);
        cmd.Add(o.Format);
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            using var m = o.Load(r, quiet: true);
            var c = m.Config;
            var dtypes = m.Weights.Weights.Matrices().GroupBy(t => DTypes.Name(t.DType))
                .ToDictionary(g => g.Key, g => g.Count());
            var info = new
            {
                path = m.Weights.Path,
                format = m.Weights.Format.ToString(),
                architecture = c.Architecture,
                parameters = ModelFacts.ParameterCount(m),
                weight_bytes = ModelFacts.WeightBytes(m),
                matrix_dtypes = dtypes,
                hidden_size = c.HiddenSize,
                intermediate_size = c.IntermediateSize,
                layers = c.Layers,
                heads = c.Heads,
                kv_heads = c.KvHeads,
                head_dim = c.HeadDim,
                vocab_size = c.VocabSize,
                context_length = c.MaxPositions,
                rope_theta = c.RopeTheta,
                rope_scaling = c.RopeScaling?.Type,
                rope_style = c.RopeStyle.ToString(),
                rms_eps = c.RmsEps,
                tied_embeddings = c.TieWordEmbeddings,
                qkv_bias = c.QkvBias,
                qk_norm = c.QkNorm,
                bos_token_id = c.BosTokenId,
                eos_token_ids = c.EosTokenIds,
                kv_bytes_per_token_f32 = ModelFacts.KvBytesPerToken(m),
                tokenizer_vocab = m.Tokenizer.VocabSize,
                chat_template = m.ChatTemplate is not null,
            };
            if (format == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"model          {info.path} ({info.format})");
            Console.WriteLine($"architecture   {c.Architecture}");
            Console.WriteLine($"parameters     {info.parameters:N0} ({info.parameters / 1e6:F1}M)");
            Console.WriteLine($"weights        {info.weight_bytes / 1048576.0:F1} MiB as stored; matrices: {string.Join(", ", dtypes.Select(kv => $"{kv.Value}× {kv.Key}"))}");
            Console.WriteLine($"shape          hidden {c.HiddenSize}, ffn {c.IntermediateSize}, {c.Layers} layers, {c.Heads} heads / {c.KvHeads} kv heads × {c.HeadDim}");
            Console.WriteLine($"vocab          {c.VocabSize} (tokenizer {m.Tokenizer.VocabSize})");
            Console.WriteLine($"context        {c.MaxPositions}; rope θ {c.RopeTheta} {c.RopeStyle}{(c.RopeScaling is null ? "" : $", scaling {c.RopeScaling.Type} ×{c.RopeScaling.Factor}")}");
            Console.WriteLine($"options        rms eps {c.RmsEps}, tied embeddings {c.TieWordEmbeddings}, qkv bias {c.QkvBias}, q/k norm {c.QkNorm}");
            Console.WriteLine($"tokens         bos {c.BosTokenId?.ToString() ?? "-"}, eos [{string.Join(", ", c.EosTokenIds)}]");
            Console.WriteLine($"kv cache       {info.kv_bytes_per_token_f32 / 1024.0:F1} KiB per token (f32)");
            Console.WriteLine($"chat template  {(m.ChatTemplate is null ? "none" : "yes")}");
            return 0;
        });
        return cmd;
    }
}
