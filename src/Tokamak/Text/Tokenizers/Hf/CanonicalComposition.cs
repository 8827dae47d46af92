using System.Text;

namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>
/// Unicode NFC and NFD (UAX #15: full canonical decomposition, canonical ordering, canonical composition) from
/// <see cref="UnicodeNormalizationData"/>. Used when the runtime cannot normalize — with
/// <c>InvariantGlobalization</c> .NET's <see cref="string.Normalize()"/> returns non-ASCII text unchanged.
/// </summary>
internal static class CanonicalComposition
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, (int First, int Second)> Decomposition = BuildDecomposition();
    private static readonly Dictionary<long, int> Composition = BuildComposition();
    private static readonly Dictionary<int, byte> CombiningClass = BuildCombiningClass();
    private static readonly HashSet<int> NfcMaybeChanges = BuildNfcMaybeChanges();

    /// <summary>Whether the runtime's <see cref="string.Normalize(NormalizationForm)"/> actually composes.</summary>
    public static readonly bool RuntimeNormalizes = ProbeRuntime();

    private static bool ProbeRuntime()
    {
        try { return "a\u0301".Normalize(NormalizationForm.FormC) == "\u00E1"; }
        catch (PlatformNotSupportedException) { return false; }
    }

    public static string ToNfc(string text) => IsTriviallyNormalized(text) || !NeedsComposition(text) ? text : Compose(Decompose(text));

    public static string ToNfd(string text) => IsTriviallyNormalized(text) ? text : ToString(Decompose(text));

    /// <summary>Below U+0300 nothing decomposes to, or composes with, anything outside Latin-1 + a mark.</summary>
    private static bool IsTriviallyNormalized(string text)
    {
        foreach (char c in text)
            if (c >= 0xC0) return false; // À.. decompose in NFD; marks start at U+0300
        return true;
    }

    /// <summary>
    /// NFC quick check: text is already NFC when no code point is a combining mark, the second half of a
    /// composition pair (e.g. Hangul vowel/trailing jamo) or a character NFC replaces (exclusions, singletons).
    /// </summary>
    private static bool NeedsComposition(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (cp < 0x300) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            if (NfcMaybeChanges.Contains(cp)) return true;
        }
        return false;
    }

    private static HashSet<int> BuildNfcMaybeChanges()
    {
        var set = new HashSet<int>(CombiningClass.Keys);
        var data = UnicodeNormalizationData.Decompositions;
        for (int i = 0; i < data.Length; i += 4)
        {
            if (data[i + 3] == 1) set.Add(data[i + 2]); // may compose with what precedes it
            else set.Add(data[i]);                      // excluded or singleton: NFC replaces it
        }
        for (int cp = VBase; cp < VBase + VCount; cp++) set.Add(cp);
        for (int cp = TBase + 1; cp < TBase + TCount; cp++) set.Add(cp);
        return set;
    }

    private static List<int> Decompose(string text)
    {
        var output = new List<int>(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(text[i], text[++i]);
            DecomposeInto(cp, output);
        }
        // canonical ordering: stable sort of each run of non-starters by combining class
        for (int i = 1; i < output.Count; i++)
        {
            int cls = Ccc(output[i]);
            if (cls == 0) continue;
            for (int j = i; j > 0 && Ccc(output[j - 1]) > cls; j--) (output[j - 1], output[j]) = (output[j], output[j - 1]);
        }
        return output;
    }

    private static void DecomposeInto(int cp, List<int> output)
    {
        int s = cp - SBase;
        if (s >= 0 && s < SCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (Decomposition.TryGetValue(cp, out var d))
        {
            DecomposeInto(d.First, output);
            if (d.Second != 0) DecomposeInto(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    private static string Compose(List<int> cps)
    {
        if (cps.Count == 0) return "";
        var result = new List<int>(cps.Count) { cps[0] };
        int starterPos = 0;
        int lastClass = Ccc(cps[0]) == 0 ? 0 : 256; // a leading non-starter blocks composition
        for (int i = 1; i < cps.Count; i++)
        {
            int ch = cps[i], cls = Ccc(ch);
            if ((lastClass < cls || lastClass == 0) && TryCompose(result[starterPos], ch, out int composite))
            {
                result[starterPos] = composite;
                continue;
            }
            if (cls == 0) starterPos = result.Count;
            lastClass = cls;
            result.Add(ch);
        }
        return ToString(result);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        int l = first - LBase, v = second - VBase;
        if (l >= 0 && l < LCount && v >= 0 && v < VCount) { composite = SBase + (l * VCount + v) * TCount; return true; }
        int s = first - SBase, t = second - TBase;
        if (s >= 0 && s < SCount && s % TCount == 0 && t > 0 && t < TCount) { composite = first + t; return true; }
        return Composition.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int Ccc(int cp) => cp < 0x300 ? 0 : CombiningClass.TryGetValue(cp, out byte c) ? c : 0;

    private static string ToString(List<int> cps)
    {
        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    private static Dictionary<int, (int, int)> BuildDecomposition()
    {
        var data = UnicodeNormalizationData.Decompositions;
        var map = new Dictionary<int, (int, int)>(data.Length / 4);
        for (int i = 0; i < data.Length; i += 4) map[data[i]] = (data[i + 1], data[i + 2]);
        return map;
    }

    private static Dictionary<long, int> BuildComposition()
    {
        var data = UnicodeNormalizationData.Decompositions;
        var map = new Dictionary<long, int>();
        for (int i = 0; i < data.Length; i += 4)
            if (data[i + 3] == 1) map[((long)data[i + 1] << 21) | (uint)data[i + 2]] = data[i];
        return map;
    }

    private static Dictionary<int, byte> BuildCombiningClass()
    {
        var data = UnicodeNormalizationData.CombiningClassRanges;
        var map = new Dictionary<int, byte>();
        for (int i = 0; i < data.Length; i += 3)
            for (int cp = data[i]; cp <= data[i + 1]; cp++) map[cp] = (byte)data[i + 2];
        return map;
    }
}
