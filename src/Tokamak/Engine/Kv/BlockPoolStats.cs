namespace Tokamak.Engine.Kv;

/// <summary>
/// Snapshot of a <see cref="BlockPool"/>. Every block is in exactly one state, so
/// <c>Used + Free + Cached == Capacity</c>.
/// </summary>
/// <param name="Capacity">Total physical blocks.</param>
/// <param name="Used">Blocks referenced by at least one sequence.</param>
/// <param name="Free">Unreferenced blocks with no cached content.</param>
/// <param name="Cached">Unreferenced blocks that keep a prefix-cache entry; evictable, so also available.</param>
public readonly record struct BlockPoolStats(int Capacity, int Used, int Free, int Cached)
{
    /// <summary>Blocks an allocation can get right now (free, then evicted cached).</summary>
    public int Available => Free + Cached;

    /// <summary>Fraction of blocks in use, 0..1 (the KV cache usage metric).</summary>
    public double Usage => Capacity == 0 ? 0 : (double)Used / Capacity;
}
