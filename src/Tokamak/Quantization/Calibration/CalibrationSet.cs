using System.Text.Json;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Quantization.Calibration;

/// <summary>
/// Calibration samples: token sequences from a text file (cut into consecutive windows) or a JSONL file (one
/// sample per record's <c>"text"</c>, truncated). Each sample starts with BOS when the tokenizer has one.
/// </summary>
public static class CalibrationSet
{
    /// <summary>Loads up to <paramref name="samples"/> sequences of at most <paramref name="seqLen"/> tokens.</summary>
    public static List<int[]> Load(string path, Tokenizer tokenizer, int samples, int seqLen)
    {
        if (samples < 1) throw new ArgumentException($"calibration sample count must be positive, got {samples}");
        if (seqLen < 2) throw new ArgumentException($"calibration sequence length must be at least 2, got {seqLen}");
        if (!File.Exists(path)) throw new FileNotFoundException($"calibration file not found: {path}", path);
        var texts = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? JsonlTexts(path) : [File.ReadAllText(path)];
        var result = new List<int[]>();
        foreach (string text in texts)
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var ids = tokenizer.Encode(text, addSpecialTokens: true);
            if (texts.Count == 1)
                for (int off = 0; off + 2 <= ids.Length && result.Count < samples; off += seqLen)
                    result.Add(ids[off..Math.Min(ids.Length, off + seqLen)]);
            else if (ids.Length >= 2)
                result.Add(ids[..Math.Min(ids.Length, seqLen)]);
            if (result.Count >= samples) break;
        }
        if (result.Count == 0) throw new InvalidDataException($"calibration file {path} has no text to calibrate on");
        return result;
    }

    private static List<string> JsonlTexts(string path)
    {
        var texts = new List<string>();
        int line = 0;
        foreach (string l in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(l)) continue;
            try
            {
                using var doc = JsonDocument.Parse(l);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    texts.Add(t.GetString()!);
                else
                    throw new InvalidDataException($"{path}:{line}: expected an object with a string \"text\" field");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{line}: invalid JSON ({e.Message})");
            }
        }
        return texts;
    }
}
