namespace Tokamak.Data.Filters;

/// <summary>Deterministic 64-bit hashing (FNV-1a + SplitMix64 finalizer), stable across runs unlike <see cref="HashCode"/>.</summary>
internal static class StableHash
{
    public static ulong Of(ReadOnlySpan<char> s, ulong h = 14695981039346656037UL)
    {
        foreach (var c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return Mix(h);
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
