namespace Tokamak.Data.Augmentation;

/// <summary>
/// Light augmentation: with probability <see cref="Probability"/> a conversation's system prompt is replaced by one
/// drawn from a pool of equivalent prompts, so a model does not overfit one exact wording. Deterministic per seed.
/// Pretraining documents pass through unchanged.
/// </summary>
public sealed class SystemPromptShuffler
{
    private readonly IReadOnlyList<string> _pool;
    private readonly Random _rng;

    /// <summary>Chance of replacing each conversation's system prompt.</summary>
    public double Probability { get; }

    /// <summary>Creates a shuffler over <paramref name="pool"/> (must be non-empty).</summary>
    public SystemPromptShuffler(IReadOnlyList<string> pool, double probability, int seed = 0)
    {
        if (pool.Count == 0) throw new ArgumentException("system prompt pool is empty", nameof(pool));
        if (probability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(probability), probability, "probability must be in [0, 1]");
        _pool = pool;
        Probability = probability;
        _rng = new Random(seed);
    }

    /// <summary>The example, possibly with a new system prompt (a copy; the input is not modified).</summary>
    public UnifiedExample Apply(UnifiedExample e)
    {
        if (e.IsPretraining || _rng.NextDouble() >= Probability) return e;
        return new UnifiedExample
        {
            System = _pool[_rng.Next(_pool.Count)], Tools = e.Tools, Turns = e.Turns, Chosen = e.Chosen,
            Rejected = e.Rejected, Content = e.Content, Origin = e.Origin,
        };
    }

    /// <summary>Lazily applies <see cref="Apply"/> to a stream.</summary>
    public IEnumerable<UnifiedExample> ApplyAll(IEnumerable<UnifiedExample> examples) => examples.Select(Apply);
}
