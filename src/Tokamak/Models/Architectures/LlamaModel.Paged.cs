using Tokamak.Engine;
using Tokamak.Engine.Kv;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Models.Architectures;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// One batched step over the paged KV cache (continuous batching): all tokens of all sequences in
    /// <paramref name="batch"/> go through each weight matrix in a single matmul of <c>n = T</c> rows; RoPE uses each
    /// token's own position; K/V are written into <paramref name="pool"/> through each sequence's block table; then
    /// each token attends to its own sequence's context with <see cref="PagedAttention.ForwardBatch"/> (parallel over
    /// tokens × heads). Logits are computed only for the sequences that asked for them, into
    /// <see cref="PagedForwardState.Logits"/> rows in the order of <see cref="PagedBatch.Add"/>.
    /// Slots for the new tokens must be reserved and writable (the scheduler's job). Allocation-free once the state
    /// has grown to the step's size.
    /// </summary>
    public void ForwardPaged(PagedBatch batch, KvPool pool, PagedForwardState state)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(state);
        var c = Config;
        var spec = pool.Spec;
        if (spec.Layers != c.Layers || spec.KvHeads != c.KvHeads || spec.HeadDim != c.HeadDim)
            throw new ArgumentException($"KV pool geometry (layers={spec.Layers}, kv_heads={spec.KvHeads}, head_dim={spec.HeadDim}) does not match the model ({c.Layers}, {c.KvHeads}, {c.HeadDim})");
        int n = batch.TokenCount, rows = batch.LogitRows;
        if (n == 0) throw new ArgumentException("the batch has no tokens");
        foreach (int t in batch.Tokens)
            if ((uint)t >= (uint)c.VocabSize) throw new ArgumentOutOfRangeException(nameof(batch), $"token id {t} is outside the vocabulary (0..{c.VocabSize - 1})");
        for (int s = 0; s < batch.SequenceCount; s++)
        {
            long end = (long)batch.StartPosition(s) + batch.TokenCountOf(s);
            if (end > c.MaxPositions) throw new ArgumentException($"sequence {s} reaches position {end - 1}, beyond the model's {c.MaxPositions} positions");
            if (end > (long)batch.BlockTable(s).Length * spec.BlockSize)
                throw new ArgumentException($"sequence {s}: block table covers {batch.BlockTable(s).Length * spec.BlockSize} positions, the step needs {end}");
        }
        state.EnsureCapacity(n, rows);

        int hidden = c.HiddenSize, qDim = c.QDim, kvDim = c.KvDim, hd = c.HeadDim;
        var x = state.X(n);        // residual stream [T, hidden]
        var xb = state.Xb(n);      // normed input    [T, hidden]
        var xb2 = state.Xb2(n);    // block output    [T, hidden]
        var q = state.Q(n);        // [T, heads, headDim]
        var att = state.Att(n);    // [T, heads, headDim]
        var k = state.K(n);        // [T, kvHeads, headDim]
        var v = state.V(n);        // [T, kvHeads, headDim]
        var gate = state.Gate(n);  // [T, ff]
        var up = state.Up(n);      // [T, ff]
        var cos = state.Cos(n);    // [T, headDim/2], per token position, shared by all layers
        var sin = state.Sin(n);
        int half = hd / 2;

        var tokens = batch.Tokens;
        var positions = batch.Positions;
        for (int i = 0; i < n; i++)
        {
            Dequant.Row(Weights.Embedding.DType, Weights.Embedding.Row(tokens[i]), x.Slice(i * hidden, hidden));
            Rope.CosSin(positions[i], cos.Slice(i * half, half), sin.Slice(i * half, half));
        }

        for (int l = 0; l < c.Layers; l++)
        {
            var w = Weights.Layers[l];
            RmsNorm.Forward(x, w.AttnNorm, xb, c.RmsEps);
            Project(w.Wq, xb, q, n);
            Project(w.Wk, xb, k, n);
            Project(w.Wv, xb, v, n);
            for (int i = 0; i < n; i++)
            {
                var qi = q.Slice(i * qDim, qDim);
                var ki = k.Slice(i * kvDim, kvDim);
                if (w.Bq is not null) { Activations.Add(qi, w.Bq); Activations.Add(ki, w.Bk); Activations.Add(v.Slice(i * kvDim, kvDim), w.Bv); }
                if (w.QNorm is not null) RmsNorm.Forward(qi, w.QNorm, qi, c.RmsEps);
                if (w.KNorm is not null) RmsNorm.Forward(ki, w.KNorm, ki, c.RmsEps);
                var ci = cos.Slice(i * half, half);
                var si = sin.Slice(i * half, half);
                Tensors.Kernels.Rope.Apply(qi, c.Heads, hd, ci, si, c.RopeStyle);
                Tensors.Kernels.Rope.Apply(ki, c.KvHeads, hd, ci, si, c.RopeStyle);
            }
            for (int s = 0; s < batch.SequenceCount; s++)
            {
                int t0 = batch.FirstToken(s), cnt = batch.TokenCountOf(s);
                pool.WriteAt(l, batch.BlockTable(s), batch.StartPosition(s), k.Slice(t0 * kvDim, cnt * kvDim), v.Slice(t0 * kvDim, cnt * kvDim));
            }
            PagedAttention.ForwardBatch(pool, l, batch, q, c.Heads, att);
            Project(w.Wo, att, xb2, n);
            Activations.Add(x, xb2);

            RmsNorm.Forward(x, w.FfnNorm, xb, c.RmsEps);
            Project(w.Gate, xb, gate, n);
            Project(w.Up, xb, up, n);
            Activations.SwiGlu(gate, up);
            Project(w.Down, gate, xb2, n);
            Activations.Add(x, xb2);
        }

        state.LogitRows = rows;
        if (rows == 0) return;
        var head = state.Head(rows); // [rows, hidden]: the last token of each sequence that samples
        for (int s = 0; s < batch.SequenceCount; s++)
        {
            int r = batch.LogitRow(s);
            if (r < 0) continue;
            int last = batch.FirstToken(s) + batch.TokenCountOf(s) - 1;
            x.Slice(last * hidden, hidden).CopyTo(head.Slice(r * hidden, hidden));
        }
        RmsNorm.Forward(head, Weights.FinalNorm, head, c.RmsEps);
        MatMul.Forward(Weights.Output, head, state.AllLogits(rows), rows);
    }
}
