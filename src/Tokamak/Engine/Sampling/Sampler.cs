using System.Numerics.Tensors;

namespace Tokamak.Engine.Sampling;

/// <summary>
/// Chooses next tokens for one sequence. Order of operations (as vLLM): penalties on the raw logits, then
/// temperature, then top-k, top-p (on the renormalized top-k set) and min-p, then one draw. Log-probabilities are
/// reported from the raw logits, before any of that. Scratch is allocated once per sequence, so a step allocates
/// nothing unless logprobs are requested.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams _p;
    private readonly int _vocab;
    private readonly int[] _outputCounts;      // [vocab] occurrences in the output (presence/frequency)
    private readonly bool[] _seen;             // [vocab] in prompt or output (repetition penalty)
    private readonly List<int> _seenIds = [];  // the true entries of _seen, to visit only those
    private readonly float[] _probs;           // [vocab]
    private readonly int[] _candidates;        // [vocab]
    private readonly float[] _selectScratch;   // [vocab] for quickselect
    private readonly HashSet<int> _eos;
    private Xoshiro256 _rng;

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabSize"/> ids.</summary>
    public Sampler(int vocabSize, SamplingParams p, IEnumerable<int>? eosIds = null)
    {
        p.Validate();
        _p = p;
        _vocab = vocabSize;
        _outputCounts = new int[vocabSize];
        _seen = new bool[vocabSize];
        _probs = new float[vocabSize];
        _candidates = new int[vocabSize];
        _selectScratch = new float[vocabSize];
        _eos = [.. (eosIds ?? []), .. p.StopTokenIds];
        _rng = new Xoshiro256(p.Seed ?? BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
    }

    /// <summary>Number of tokens accepted into the output so far.</summary>
    public int Generated { get; private set; }

    /// <summary>Registers prompt tokens for the repetition penalty.</summary>
    public void AddPrompt(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens) MarkSeen(t);
    }

    /// <summary>Records <paramref name="token"/> as generated (penalties see it from the next step on).</summary>
    public void Accept(int token)
    {
        if ((uint)token < (uint)_vocab)
        {
            _outputCounts[token]++;
            MarkSeen(token);
        }
        Generated++;
    }

    /// <summary>Whether <paramref name="token"/> ends generation (EOS or a stop token id).</summary>
    public bool IsStopToken(int token) => _eos.Contains(token) && !(_p.IgnoreEos && !_p.StopTokenIds.Contains(token));

    /// <summary>Log-probabilities of <paramref name="token"/> and the top alternatives under the raw logits.</summary>
    public TokenLogprobs Logprobs(ReadOnlySpan<float> rawLogits, int token)
    {
        float max = TensorPrimitives.Max(rawLogits);
        double sum = 0;
        foreach (float l in rawLogits) sum += Math.Exp(l - max);
        float logZ = max + (float)Math.Log(sum);
        var top = new List<(int, float)>(_p.TopLogprobs);
        if (_p.TopLogprobs > 0)
        {
            var best = new PriorityQueue<int, (float, int)>(); // min-heap of the current top-n by (logit, -id)
            for (int i = 0; i < rawLogits.Length; i++)
            {
                var key = (rawLogits[i], -i);
                if (best.Count < _p.TopLogprobs) best.Enqueue(i, key);
                else if (best.TryPeek(out _, out var worst) && key.CompareTo(worst) > 0) best.EnqueueDequeue(i, key);
            }
            while (best.TryDequeue(out int id, out _)) top.Add((id, rawLogits[id] - logZ));
            top.Reverse();
        }
        return new TokenLogprobs(token, rawLogits[token] - logZ, top);
    }

    /// <summary>Picks the next token from <paramref name="logits"/> [vocab], which it modifies in place.</summary>
    public int Sample(Span<float> logits)
    {
        if (logits.Length != _vocab) throw new ArgumentException($"expected {_vocab} logits, got {logits.Length}");
        ApplyPenalties(logits);
        if (Generated < _p.MinTokens)
            foreach (int id in _eos)
                if ((uint)id < (uint)_vocab) logits[id] = float.NegativeInfinity;
        if (_p.IsGreedy) return TensorPrimitives.IndexOfMax(logits);

        // probs = softmax(logits / T)
        var probs = _probs.AsSpan();
        TensorPrimitives.Multiply(logits, 1f / _p.Temperature, probs);
        TensorPrimitives.SoftMax(probs, probs);
        float pmax = TensorPrimitives.Max(probs);

        // Lower bounds on a kept token's probability from each truncation; top-p applies to the top-k set, whose
        // mass is keptMass (the nucleus is the shortest most-likely-first prefix reaching topP · keptMass).
        int k = _p.TopK > 0 ? Math.Min(_p.TopK, _vocab) : _vocab;
        float kBound = k < _vocab ? KthLargest(probs, k) : 0f;
        double keptMass = 0;
        foreach (float p in probs) if (p >= kBound) keptMass += p;
        double nucleusMass = _p.TopP * keptMass;
        float threshold = MathF.Max(kBound, _p.MinP * pmax);
        if (_p.TopP < 1f) threshold = MathF.Max(threshold, NucleusBound(probs, nucleusMass, pmax));

        // Candidates are the tokens at or above every bound, most likely first (ties: lower id first).
        int n = 0;
        for (int i = 0; i < probs.Length; i++)
            if (probs[i] >= threshold && probs[i] > 0) _candidates[n++] = i;
        var cand = _candidates.AsSpan(0, n);
        if (_p.TopP < 1f || k < n)
        {
            var pr = _probs;
            cand.Sort((a, b) => pr[b] != pr[a] ? pr[b].CompareTo(pr[a]) : a.CompareTo(b));
            n = Math.Min(n, k);
            if (_p.TopP < 1f)
            {
                double cum = 0;
                for (int i = 0; i < n; i++)
                {
                    cum += probs[cand[i]];
                    if (cum >= nucleusMass)
                    {
                        n = i + 1;
                        break;
                    }
                }
            }
            cand = cand[..n];
        }

        double mass = 0;
        foreach (int id in cand) mass += probs[id];
        double u = _rng.NextDouble() * mass;
        foreach (int id in cand)
        {
            u -= probs[id];
            if (u < 0) return id;
        }
        return cand[^1];
    }

    private void ApplyPenalties(Span<float> logits)
    {
        if (_p.RepetitionPenalty != 1f)
            foreach (int id in _seenIds)
                logits[id] = logits[id] > 0 ? logits[id] / _p.RepetitionPenalty : logits[id] * _p.RepetitionPenalty;
        if (_p.PresencePenalty != 0 || _p.FrequencyPenalty != 0)
            foreach (int id in _seenIds)
            {
                int c = _outputCounts[id];
                if (c > 0) logits[id] -= _p.FrequencyPenalty * c + _p.PresencePenalty;
            }
    }

    private void MarkSeen(int t)
    {
        if ((uint)t < (uint)_vocab && !_seen[t])
        {
            _seen[t] = true;
            _seenIds.Add(t);
        }
    }

    /// <summary>
    /// A probability t such that the tokens with p ≥ t hold at least <paramref name="topP"/> of the mass, found by
    /// bisection. The nucleus is a subset of them, so only those need sorting.
    /// </summary>
    private static float NucleusBound(ReadOnlySpan<float> probs, double topP, float pmax)
    {
        float lo = 0, hi = pmax; // mass(p >= lo) = 1 >= topP always holds
        for (int iter = 0; iter < 24; iter++)
        {
            float mid = (lo + hi) / 2;
            double mass = 0;
            foreach (float p in probs) if (p >= mid) mass += p;
            if (mass >= topP) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>The k-th largest probability (quickselect on a scratch copy).</summary>
    private float KthLargest(ReadOnlySpan<float> probs, int k)
    {
        var a = _selectScratch.AsSpan(0, probs.Length);
        probs.CopyTo(a);
        int lo = 0, hi = a.Length - 1, target = k - 1;
        var rng = new Xoshiro256((ulong)a.Length);
        while (lo < hi)
        {
            float pivot = a[lo + (int)(rng.NextUInt64() % (ulong)(hi - lo + 1))];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else break;
        }
        return a[target];
    }
}
