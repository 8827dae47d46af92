using System.Text.Json;

namespace Tokamak.Tests.Models;

/// <summary>One greedy run recorded by llama.cpp in shared/reference/llamacpp/*.json.</summary>
internal sealed record ReferenceRun(string Prompt, int[] PromptIds, int[] GeneratedIds, float[]? LogitsAfterPrompt, (int Id, float Logit)[][] Top10)
{
    public static List<ReferenceRun> Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference(file)));
        var runs = new List<ReferenceRun>();
        foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            float[]? logits = r.TryGetProperty("logits_after_prompt", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(x => x.GetSingle()).ToArray() : null;
            var top = r.GetProperty("top10_logits_per_step").EnumerateArray()
                .Select(step => step.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetSingle())).ToArray()).ToArray();
            runs.Add(new ReferenceRun(
                r.GetProperty("prompt").GetString()!,
                r.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("generated_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                logits, top));
        }
        return runs;
    }

    /// <summary>
    /// Number of leading generated tokens that must match exactly: up to and including the first step whose reference
    /// top-two logits lie closer than <paramref name="tieMargin"/> (after it, a legitimate float difference may flip the choice).
    /// </summary>
    public int MustMatch(float tieMargin)
    {
        for (int i = 0; i < Top10.Length; i++)
            if (Top10[i].Length > 1 && Top10[i][0].Logit - Top10[i][1].Logit < tieMargin) return i + 1;
        return GeneratedIds.Length;
    }
}
