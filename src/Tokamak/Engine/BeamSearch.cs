using Tokamak.Engine.Scheduling;

namespace Tokamak.Engine;

/// <summary>
/// Beam-search book-keeping of one request (Hugging Face / vLLM semantics). Each live beam is a scheduler request;
/// when every live beam has its next-token distribution (<see cref="SetCandidates"/>), <see cref="Decide"/> ranks
/// all (beam, token) expansions by cumulative log-probability, moves expansions ending in a stop token into the
/// finished hypotheses (only when they rank within the top <c>width</c>), and keeps the best <c>width</c> others as
/// the next beams. The engine applies the decision through the scheduler: the first child of a beam continues it,
/// further children fork it (sharing its KV blocks), and beams with no child are dropped (blocks freed at once).
/// </summary>
internal sealed class BeamSearch
{
    private readonly int _width;
    private readonly float _lengthPenalty;
    private readonly bool _earlyStopping;
    private readonly int _maxOutput;
    private readonly int _minTokens;
    private readonly HashSet<int> _stopIds;
    private readonly List<Hypothesis> _finished = [];
    private readonly List<Candidate> _all = [];

    public BeamSearch(int width, float lengthPenalty, bool earlyStopping, int maxOutput, int minTokens, HashSet<int> stopIds)
    {
        _width = width;
        _lengthPenalty = lengthPenalty;
        _earlyStopping = earlyStopping;
        _maxOutput = maxOutput;
        _minTokens = minTokens;
        _stopIds = stopIds;
    }

    /// <summary>Live beams in rank order.</summary>
    public List<Beam> Live { get; } = [];

    /// <summary>True when every live beam has candidates.</summary>
    public bool Ready => Live.Count > 0 && Live.TrueForAll(b => b.Candidates is not null);

    /// <summary>The beam whose scheduler request is <paramref name="request"/>, if live.</summary>
    public Beam? Find(Request request) => Live.Find(b => ReferenceEquals(b.Request, request));

    /// <summary>Stores the top 2·width expansions of <paramref name="beam"/> from raw <paramref name="logits"/> (log-softmax in double).</summary>
    public void SetCandidates(Beam beam, ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = MathF.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        double logZ = max + Math.Log(sum);
        int k = Math.Min(2 * _width, logits.Length);
        var best = new PriorityQueue<int, (float, int)>(k + 1); // min-heap by (logit, −id): ties prefer lower ids
        for (int i = 0; i < logits.Length; i++)
        {
            var key = (logits[i], -i);
            if (best.Count < k) best.Enqueue(i, key);
            else if (best.TryPeek(out _, out var worst) && key.CompareTo(worst) > 0) best.EnqueueDequeue(i, key);
        }
        var cands = new (int Token, double Logprob)[best.Count];
        for (int j = cands.Length - 1; best.TryDequeue(out int id, out _); j--) cands[j] = (id, logits[id] - logZ);
        beam.Candidates = cands;
    }

    /// <summary>
    /// Takes one beam step over the ready beams. Returns null when the search is done (see <see cref="Results"/>),
    /// else the next beams as (parent, token, cumulative logprob) in rank order.
    /// </summary>
    public List<(Beam Parent, int Token, double Cum)>? Decide()
    {
        int length = Live[0].Request.NumOutputTokens; // all live beams have the same output length
        _all.Clear();
        for (int b = 0; b < Live.Count; b++)
            foreach (var (tok, lp) in Live[b].Candidates!)
                _all.Add(new Candidate(b, tok, Live[b].Cum + lp));
        _all.Sort((x, y) => y.Cum != x.Cum ? y.Cum.CompareTo(x.Cum) : x.Beam != y.Beam ? x.Beam.CompareTo(y.Beam) : x.Token.CompareTo(y.Token));

        var next = new List<(Beam, int, double)>(_width);
        for (int rank = 0; rank < _all.Count && next.Count < _width; rank++)
        {
            var c = _all[rank];
            if (_stopIds.Contains(c.Token))
            {
                if (length < _minTokens || rank >= _width) continue;
                _finished.Add(new Hypothesis([.. Live[c.Beam].Request.OutputTokens, c.Token], c.Cum, Score(c.Cum, length), FinishReason.Stop));
                continue;
            }
            next.Add((Live[c.Beam], c.Token, c.Cum));
        }

        bool done = next.Count == 0;
        if (!done && length + 1 >= _maxOutput)
        {
            foreach (var (parent, tok, cum) in next)
                _finished.Add(new Hypothesis([.. parent.Request.OutputTokens, tok], cum, Score(cum, length + 1), FinishReason.Length));
            done = true;
        }
        if (!done && _finished.Count >= _width)
        {
            if (_earlyStopping) done = true;
            else
            {
                _finished.Sort(ByScore);
                done = _finished[_width - 1].Score >= Score(next[0].Item3, length + 1);
            }
        }
        return done ? null : next;
    }

    /// <summary>The best <paramref name="n"/> hypotheses, live beams filling in when fewer have finished.</summary>
    public List<Hypothesis> Results(int n)
    {
        var all = new List<Hypothesis>(_finished);
        if (all.Count < n)
            foreach (var b in Live)
                all.Add(new Hypothesis(b.Request.OutputTokens.ToArray(), b.Cum, Score(b.Cum, b.Request.NumOutputTokens), FinishReason.Length));
        all.Sort(ByScore);
        return all.GetRange(0, Math.Min(n, all.Count));
    }

    private double Score(double cum, int length) => cum / Math.Pow(Math.Max(1, length), _lengthPenalty);

    private static int ByScore(Hypothesis a, Hypothesis b) => b.Score.CompareTo(a.Score);

    private readonly record struct Candidate(int Beam, int Token, double Cum);

    /// <summary>A live beam: its scheduler request, cumulative log-probability, and next-token candidates once computed.</summary>
    internal sealed class Beam(Request request, double cum)
    {
        public Request Request { get; set; } = request;
        public double Cum { get; set; } = cum;
        public (int Token, double Logprob)[]? Candidates { get; set; }
    }

    /// <summary>A finished sequence of output tokens (a stop token last when <see cref="Reason"/> is Stop).</summary>
    internal sealed record Hypothesis(int[] Tokens, double Cum, double Score, FinishReason Reason);
}
