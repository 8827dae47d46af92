namespace Tokamak.Data.Filters;

/// <summary>
/// MinHash signatures: for each of <see cref="Permutations"/> random hash functions h(x) = (a·x + b) mod (2^61 − 1)
/// the signature keeps the minimum over the set's elements. The fraction of equal positions between two signatures
/// is an unbiased estimate of the sets' Jaccard similarity (standard error ≈ sqrt(J(1−J)/Permutations)).
/// </summary>
public sealed class MinHasher
{
    private const ulong Prime = (1UL << 61) - 1;
    private readonly ulong[] _a, _b;

    /// <summary>Number of hash functions (signature length).</summary>
    public int Permutations { get; }

    /// <summary>Words per shingle for text signatures.</summary>
    public int ShingleSize { get; }

    /// <summary>Creates <paramref name="permutations"/> hash functions drawn from a fixed seed (deterministic output).</summary>
    public MinHasher(int permutations = 128, int shingleSize = 5, ulong seed = 0x70CA3A4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shingleSize, 1);
        Permutations = permutations;
        ShingleSize = shingleSize;
        _a = new ulong[permutations];
        _b = new ulong[permutations];
        ulong state = seed;
        for (int i = 0; i < permutations; i++)
        {
            _a[i] = 1 + StableHash.Mix(state += 0x9E3779B97F4A7C15UL) % (Prime - 1);
            _b[i] = StableHash.Mix(state += 0x9E3779B97F4A7C15UL) % Prime;
        }
    }

    /// <summary>Signature of a set given by its elements' 64-bit hashes (duplicates are harmless). Empty set → all <see cref="ulong.MaxValue"/>.</summary>
    public ulong[] Signature(IEnumerable<ulong> elements)
    {
        var sig = new ulong[Permutations];
        Array.Fill(sig, ulong.MaxValue);
        foreach (var e in elements)
        {
            ulong x = StableHash.Mix(e) % Prime;
            for (int i = 0; i < sig.Length; i++)
            {
                ulong h = MulAddMod(_a[i], x, _b[i]);
                if (h < sig[i]) sig[i] = h;
            }
        }
        return sig;
    }

    /// <summary>Signature of <paramref name="text"/>'s word <see cref="ShingleSize"/>-gram set (see <see cref="Shingles"/>).</summary>
    public ulong[] Signature(string text) => Signature(Shingles(text, ShingleSize));

    /// <summary>
    /// Hashes of the word k-grams of the normalized text; a text shorter than k words is one shingle; no words → none.
    /// </summary>
    public static IEnumerable<ulong> Shingles(string text, int k)
    {
        var words = Words.Split(text);
        if (words.Count == 0) yield break;
        int count = Math.Max(1, words.Count - k + 1);
        for (int s = 0; s < count; s++)
        {
            ulong h = 14695981039346656037UL;
            for (int w = s; w < Math.Min(words.Count, s + k); w++)
                h = StableHash.Of(words[w], h ^ 0x1F); // separator folded in so "ab c" ≠ "a bc"
            yield return h;
        }
    }

    /// <summary>Fraction of positions where two signatures agree.</summary>
    public static double EstimateJaccard(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"signature lengths differ ({a.Length} vs {b.Length})");
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] == b[i]) same++;
        return (double)same / a.Length;
    }

    /// <summary>(a·x + b) mod 2^61−1 using the Mersenne reduction; a, x, b &lt; 2^61.</summary>
    private static ulong MulAddMod(ulong a, ulong x, ulong b)
    {
        UInt128 z = (UInt128)a * x + b;
        ulong r = (ulong)(z & Prime) + (ulong)(z >> 61);
        r = (r & Prime) + (r >> 61);
        return r >= Prime ? r - Prime : r;
    }
}
