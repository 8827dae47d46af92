using System.Text.Json;
using Tokamak.Models;
using Tokamak.Models.Formats;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Quantization;

/// <summary>
/// The <c>tokenizer.*</c> GGUF metadata that makes a written model self-contained: copied from a GGUF source,
/// converted from a Hugging Face <c>tokenizer.json</c> (byte-level BPE → model <c>gpt2</c> with tokens, token
/// types and merges; SentencePiece-style BPE with byte fallback → model <c>llama</c> with merge-rank scores), or
/// from a llama2.c <c>tokenizer.bin</c> (model <c>llama</c>). Token types use llama.cpp's values
/// (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
/// </summary>
public static class GgufTokenizerMetadata
{
    /// <summary>Adds the tokenizer keys for <paramref name="model"/> (loaded from <paramref name="sourcePath"/>).</summary>
    public static void Add(GgufWriter w, LoadedModel model, string sourcePath, string? tokenizerPath)
    {
        switch (model.Weights.Format)
        {
            case ModelFormat.Gguf when tokenizerPath is null:
                foreach (var (k, v) in ((GgufFile)model.Weights.Source).Metadata)
                    if (k.StartsWith("tokenizer.", StringComparison.Ordinal)) w.Set(k, v);
                return;
            case ModelFormat.Llama2c when model.Tokenizer is Llama2cTokenizer l2c:
                AddLlama2c(w, l2c, model.Config);
                return;
        }
        string dir = tokenizerPath ?? (Directory.Exists(sourcePath) ? sourcePath : Path.GetDirectoryName(Path.GetFullPath(sourcePath))!);
        string json = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(json)) throw new FileNotFoundException($"no tokenizer.json in {dir} to embed in the GGUF (give --tokenizer DIR)");
        AddHf(w, json, model.Tokenizer, model.Config);
        string cfgPath = Path.Combine(dir, "tokenizer_config.json");
        if (ChatTemplateText(cfgPath) is { } template) w.Set("tokenizer.chat_template", template);
    }

    private static void AddSpecialIds(GgufWriter w, Tokenizer tok, ModelConfig cfg)
    {
        int? bos = cfg.BosTokenId ?? tok.BosId;
        int? eos = cfg.EosTokenIds.Count > 0 ? cfg.EosTokenIds[0] : tok.EosId;
        if (bos is { } b) w.Set("tokenizer.ggml.bos_token_id", (uint)b);
        if (eos is { } e) w.Set("tokenizer.ggml.eos_token_id", (uint)e);
        if (cfg.EosTokenIds.Count > 1) w.Set("tokenizer.ggml.eot_token_id", (uint)cfg.EosTokenIds[1]);
        // Whether encoding with special tokens adds BOS/EOS, observed rather than guessed from config fields.
        var with = tok.Encode("a", addSpecialTokens: true);
        var without = tok.Encode("a", addSpecialTokens: false);
        w.Set("tokenizer.ggml.add_bos_token", with.Length > without.Length && tok.BosId is { } bb && with[0] == bb);
        w.Set("tokenizer.ggml.add_eos_token", with.Length > without.Length && tok.EosId is { } ee && with[^1] == ee);
    }

    private static void AddLlama2c(GgufWriter w, Llama2cTokenizer tok, ModelConfig cfg)
    {
        int n = tok.VocabSize;
        var tokens = new string[n];
        var scores = new float[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
        {
            // llama2.c's export turned ▁ into a space and wrapped BOS/EOS in newlines; undo both.
            string p = tok.TokenToPiece(i).Trim('\n');
            tokens[i] = p.Replace(' ', '▁');
            scores[i] = tok.Score(i);
            types[i] = i == 0 ? 2 : i is 1 or 2 ? 3 : IsBytePiece(p) ? 6 : 1;
        }
        w.Set("tokenizer.ggml.model", "llama");
        w.Set("tokenizer.ggml.tokens", tokens);
        w.Set("tokenizer.ggml.scores", scores);
        w.Set("tokenizer.ggml.token_type", types);
        w.Set("tokenizer.ggml.unknown_token_id", 0u);
        w.Set("tokenizer.ggml.bos_token_id", 1u);
        w.Set("tokenizer.ggml.eos_token_id", 2u);
        w.Set("tokenizer.ggml.add_bos_token", true);
        _ = cfg;
    }

    private static bool IsBytePiece(string p) => p.Length == 6 && p.StartsWith("<0x", StringComparison.Ordinal) && p[5] == '>';

    private static void AddHf(GgufWriter w, string tokenizerJson, Tokenizer tok, ModelConfig cfg)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerJson));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE") throw new NotSupportedException($"{tokenizerJson}: tokenizer model '{type}' cannot be written to GGUF (BPE can)");
        int n = Math.Max(cfg.VocabSize, tok.VocabSize);
        var tokens = new string?[n];
        var types = new int[n];
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            int id = p.Value.GetInt32();
            if ((uint)id < (uint)n) { tokens[id] = p.Name; types[id] = 1; }
        }
        if (root.TryGetProperty("added_tokens", out var added))
            foreach (var a in added.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                if ((uint)id >= (uint)n) continue;
                tokens[id] = a.GetProperty("content").GetString();
                types[id] = a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True ? 3 : 4;
            }
        for (int i = 0; i < n; i++)
            if (tokens[i] is null) { tokens[i] = $"[PAD{i}]"; types[i] = 5; }
        var merges = model.TryGetProperty("merges", out var m)
            ? m.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Array ? $"{e[0].GetString()} {e[1].GetString()}" : e.GetString()!).ToArray()
            : [];
        string pre = root.TryGetProperty("pre_tokenizer", out var pt) ? pt.GetRawText() : "";
        bool byteLevel = pre.Contains("\"ByteLevel\"", StringComparison.Ordinal);
        bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        if (byteLevel)
        {
            // Which pre-tokenizer regex: llama.cpp names them by model family.
            string name = pre.Contains(@"\\p{N}{1,3}", StringComparison.Ordinal) ? "llama-bpe"
                : pre.Contains(@"\\p{N}|", StringComparison.Ordinal) ? "qwen2"
                : pre.Contains("\"Split\"", StringComparison.Ordinal) ? throw new NotSupportedException($"{tokenizerJson}: pre-tokenizer regex is not one GGUF names (llama-bpe, qwen2, gpt-2)")
                : "gpt-2";
            w.Set("tokenizer.ggml.model", "gpt2");
            w.Set("tokenizer.ggml.pre", name);
            w.Set("tokenizer.ggml.tokens", tokens);
            w.Set("tokenizer.ggml.token_type", types);
            w.Set("tokenizer.ggml.merges", merges);
        }
        else if (byteFallback)
        {
            // SentencePiece-style scores from merge ranks: an earlier merge scores higher, so merging by best score
            // replays the BPE merge order.
            var scores = new float[n];
            var rank = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int r = 0; r < merges.Length; r++)
            {
                int sp = merges[r].IndexOf(' ');
                rank.TryAdd(merges[r][..sp] + merges[r][(sp + 1)..], r);
            }
            for (int i = 0; i < n; i++)
            {
                if (types[i] == 1 && IsBytePiece(tokens[i]!)) types[i] = 6;
                scores[i] = rank.TryGetValue(tokens[i]!, out int r) ? -r : 0;
            }
            string norm = root.TryGetProperty("normalizer", out var nz) ? nz.GetRawText() : "";
            if (model.TryGetProperty("unk_token", out var unk) && unk.GetString() is { } u && tok.PieceToId(u) is { } uid)
            {
                w.Set("tokenizer.ggml.unknown_token_id", (uint)uid);
                types[uid] = 2;
            }
            w.Set("tokenizer.ggml.model", "llama");
            w.Set("tokenizer.ggml.tokens", tokens);
            w.Set("tokenizer.ggml.scores", scores);
            w.Set("tokenizer.ggml.token_type", types);
            w.Set("tokenizer.ggml.add_space_prefix", norm.Contains("\"Prepend\"", StringComparison.Ordinal));
        }
        else throw new NotSupportedException($"{tokenizerJson}: BPE without byte-level pre-tokenizer or byte fallback cannot be written to GGUF");
        AddSpecialIds(w, tok, cfg);
    }

    private static string? ChatTemplateText(string tokenizerConfig)
    {
        string sibling = Path.Combine(Path.GetDirectoryName(tokenizerConfig)!, "chat_template.jinja");
        if (File.Exists(tokenizerConfig))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerConfig));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("chat_template", out var ct))
            {
                if (ct.ValueKind == JsonValueKind.String) return ct.GetString();
                if (ct.ValueKind == JsonValueKind.Array)
                    foreach (var e in ct.EnumerateArray())
                        if (e.TryGetProperty("name", out var nm) && nm.GetString() == "default") return e.GetProperty("template").GetString();
            }
        }
        return File.Exists(sibling) ? File.ReadAllText(sibling) : null;
    }
}
