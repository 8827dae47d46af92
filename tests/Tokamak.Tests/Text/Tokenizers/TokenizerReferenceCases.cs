using System.Text.Json;

namespace Tokamak.Tests.Text.Tokenizers;

/// <summary>One case of shared/reference/tokenizer/*.json (produced by tokenizers.js or llama.cpp).</summary>
internal sealed record TokenizerReferenceCase(
    string Input, int[]? Ids, int[]? IdsNoSpecial, string? Decode, string? DecodeSkipSpecial, string? DecodeNoSpecial, string? Error);

internal static class TokenizerReferenceCases
{
    public static IReadOnlyList<TokenizerReferenceCase> Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Reference(Path.Combine("tokenizer", name + ".json"))));
        var cases = new List<TokenizerReferenceCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases.Add(new TokenizerReferenceCase(
                c.GetProperty("input").GetString()!,
                Ints(c, "ids"), Ints(c, "ids_no_special"),
                Str(c, "decode"), Str(c, "decode_skip_special"), Str(c, "decode_no_special"), Str(c, "error")));
        }
        Assert.True(cases.Count >= 70, $"{name}: expected the 71 reference strings, found {cases.Count}");
        return cases;
    }

    private static int[]? Ints(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;

    private static string? Str(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Escapes a string for a readable failure message.</summary>
    public static string Show(string s) => JsonSerializer.Serialize(s);

    public static string Show(IEnumerable<int>? ids) => ids is null ? "null" : "[" + string.Join(",", ids) + "]";

    /// <summary>Checks every case, collecting all mismatches into one failure message.</summary>
    public static void AssertAll(Tokamak.Text.Tokenizers.Tokenizer tok, IReadOnlyList<TokenizerReferenceCase> cases)
    {
        var failures = new List<string>();
        foreach (var c in cases)
        {
            if (c.Error is not null) continue;
            var ids = tok.Encode(c.Input, true);
            if (!ids.SequenceEqual(c.Ids!)) failures.Add($"{Show(c.Input)}: Encode(true) {Show(ids)} != {Show(c.Ids)}");
            var idsNo = tok.Encode(c.Input, false);
            if (!idsNo.SequenceEqual(c.IdsNoSpecial!)) failures.Add($"{Show(c.Input)}: Encode(false) {Show(idsNo)} != {Show(c.IdsNoSpecial)}");
            string d = tok.Decode(c.Ids!);
            if (d != c.Decode) failures.Add($"{Show(c.Input)}: Decode {Show(d)} != {Show(c.Decode!)}");
            string ds = tok.Decode(c.Ids!, skipSpecialTokens: true);
            if (ds != c.DecodeSkipSpecial) failures.Add($"{Show(c.Input)}: Decode(skip) {Show(ds)} != {Show(c.DecodeSkipSpecial!)}");
            string dn = tok.Decode(c.IdsNoSpecial!);
            if (dn != c.DecodeNoSpecial) failures.Add($"{Show(c.Input)}: Decode(no special ids) {Show(dn)} != {Show(c.DecodeNoSpecial!)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join("\n", failures.Take(30)));
    }
}
