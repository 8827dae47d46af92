using System.Numerics.Tensors;
using Tokamak.Tensors.Kernels;

namespace Tokamak.Engine.Kv;

/// <summary>
/// Causal attention of one sequence in one layer reading K/V straight from the paged <see cref="KvPool"/> through
/// the sequence's block table (PagedAttention, Kwon et al. SOSP'23). Queries are the <c>nq</c> new positions
/// <c>p0 .. p0+nq-1</c>; query <c>i</c> attends to positions <c>0 .. p0+i</c>, whose K/V must already be in the pool
/// (the model writes the new tokens' K/V with <see cref="KvPool.Write"/> before calling this). GQA: query head
/// <c>h</c> reads kv head <c>h / (heads / kvHeads)</c>. Scores are scaled by 1/√headDim.
/// <para>The kernel keeps a running max and sum per (query, head) and rescales its accumulator once per block
/// (online softmax, as in FlashAttention), so memory is O(headDim) per work item and no <c>[seq, seq]</c> matrix or
/// contiguous K/V copy exists. <see cref="Scalar"/> is the gather-then-softmax reference used by tests.</para>
/// </summary>
public static unsafe class PagedAttention
{
    // Below this many (query·head·context) dot products the fork/join overhead outweighs the parallel speed-up.
    private const long ParallelWorkThreshold = 1 << 15;

    /// <summary>Attention for <paramref name="table"/>'s sequence; see the class summary for shapes.</summary>
    public static void Forward(KvPool pool, int layer, BlockTable table, ReadOnlySpan<float> queries, int startPosition, int heads, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(table);
        Forward(pool, layer, table.Blocks, queries, startPosition, heads, output);
    }

    /// <summary>
    /// Attention output <c>[nq, heads, headDim]</c> into <paramref name="output"/> for <paramref name="queries"/>
    /// <c>[nq, heads, headDim]</c> at positions starting at <paramref name="startPosition"/>, with K/V read through
    /// <paramref name="blockTable"/> (physical block ids in logical order).
    /// </summary>
    public static void Forward(KvPool pool, int layer, ReadOnlySpan<int> blockTable, ReadOnlySpan<float> queries, int startPosition, int heads, Span<float> output)
    {
        int nq = Validate(pool, layer, blockTable, queries, startPosition, heads, output);
        if (nq == 0) return;
        var spec = pool.Spec;
        long work = (long)nq * heads * (startPosition + nq);
        fixed (int* tp = blockTable)
        fixed (float* qp = queries)
        fixed (float* op = output)
        {
            var job = new Job(spec, Source.Of(pool, layer), tp, qp, op, startPosition, heads);
            var compute = ComputePool.Shared;
            if (compute.Threads == 1 || work < ParallelWorkThreshold)
            {
                job.Run(0, nq * heads);
            }
            else
            {
                // The closure is one allocation per call (per layer), not per token position.
                compute.For(nq * heads, Math.Max(1, heads / 2), job.Run);
            }
        }
    }

    /// <summary>
    /// Reference: gathers the context's K/V into contiguous arrays <c>[ctx, kvHeads, headDim]</c> and runs plain
    /// softmax attention in double precision. Same contract as <see cref="Forward(KvPool,int,ReadOnlySpan{int},ReadOnlySpan{float},int,int,Span{float})"/>.
    /// </summary>
    public static void Scalar(KvPool pool, int layer, ReadOnlySpan<int> blockTable, ReadOnlySpan<float> queries, int startPosition, int heads, Span<float> output)
    {
        int nq = Validate(pool, layer, blockTable, queries, startPosition, heads, output);
        var spec = pool.Spec;
        int hd = spec.HeadDim, kvDim = spec.KvDim, group = heads / spec.KvHeads;
        int ctx = startPosition + nq;
        var k = new float[ctx * kvDim];
        var v = new float[ctx * kvDim];
        for (int p = 0; p < ctx; p++)
        {
            int block = blockTable[p / spec.BlockSize], slot = p % spec.BlockSize;
            pool.ReadKey(layer, block, slot, k.AsSpan(p * kvDim));
            pool.ReadValue(layer, block, slot, v.AsSpan(p * kvDim));
        }
        double scale = 1.0 / Math.Sqrt(hd);
        var scores = new double[ctx];
        for (int i = 0; i < nq; i++)
        {
            int len = startPosition + i + 1;
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / group;
                var q = queries.Slice((i * heads + h) * hd, hd);
                double max = double.NegativeInfinity;
                for (int t = 0; t < len; t++)
                {
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += q[d] * (double)k[t * kvDim + kvh * hd + d];
                    scores[t] = s * scale;
                    max = Math.Max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t < len; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                var o = output.Slice((i * heads + h) * hd, hd);
                for (int d = 0; d < hd; d++)
                {
                    double acc = 0;
                    for (int t = 0; t < len; t++) acc += scores[t] * v[t * kvDim + kvh * hd + d];
                    o[d] = (float)(acc / sum);
                }
            }
        }
    }

    private static int Validate(KvPool pool, int layer, ReadOnlySpan<int> blockTable, ReadOnlySpan<float> queries, int startPosition, int heads, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var spec = pool.Spec;
        if ((uint)layer >= (uint)spec.Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{spec.Layers - 1}");
        if (heads <= 0 || heads % spec.KvHeads != 0)
            throw new ArgumentException($"query heads ({heads}) must be a positive multiple of kv heads ({spec.KvHeads})");
        int qDim = heads * spec.HeadDim;
        if (queries.Length % qDim != 0)
            throw new ArgumentException($"queries must be [nq, {heads}, {spec.HeadDim}], got {queries.Length} floats");
        if (output.Length != queries.Length)
            throw new ArgumentException($"output has {output.Length} floats, queries have {queries.Length}");
        if (startPosition < 0) throw new ArgumentOutOfRangeException(nameof(startPosition), $"start position {startPosition} is negative");
        int nq = queries.Length / qDim;
        long ctx = (long)startPosition + nq;
        if (ctx > (long)blockTable.Length * spec.BlockSize)
            throw new ArgumentException($"block table of {blockTable.Length} blocks covers {blockTable.Length * spec.BlockSize} positions, attention needs {ctx}");
        foreach (int b in blockTable)
            if ((uint)b >= (uint)pool.NumBlocks) throw new ArgumentException($"block table names block {b}, pool has {pool.NumBlocks}");
        return nq;
    }

    /// <summary>
    /// Attention for every token of a <see cref="PagedBatch"/> in one call, parallel over (token, head) pairs of all
    /// sequences: token <c>t</c> of sequence <c>s</c> at position <c>p</c> attends to positions <c>0..p</c> of
    /// <c>s</c> through <c>s</c>'s block table. <paramref name="queries"/> and <paramref name="output"/> are
    /// <c>[T, heads, headDim]</c> in batch token order. The K/V of all the batch's tokens must already be written.
    /// Allocation-free.
    /// </summary>
    public static void ForwardBatch(KvPool pool, int layer, PagedBatch batch, ReadOnlySpan<float> queries, int heads, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(batch);
        var spec = pool.Spec;
        if ((uint)layer >= (uint)spec.Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{spec.Layers - 1}");
        if (heads <= 0 || heads % spec.KvHeads != 0)
            throw new ArgumentException($"query heads ({heads}) must be a positive multiple of kv heads ({spec.KvHeads})");
        int t = batch.TokenCount;
        long need = (long)t * heads * spec.HeadDim;
        if (queries.Length < need || output.Length < need)
            throw new ArgumentException($"queries and output must hold [{t}, {heads}, {spec.HeadDim}] floats, got {queries.Length} and {output.Length}");
        for (int s = 0; s < batch.SequenceCount; s++)
        {
            var table = batch.BlockTable(s);
            long ctx = (long)batch.StartPosition(s) + batch.TokenCountOf(s);
            if (ctx > (long)table.Length * spec.BlockSize)
                throw new ArgumentException($"sequence {s}: block table of {table.Length} blocks covers {table.Length * spec.BlockSize} positions, attention needs {ctx}");
            foreach (int b in table)
                if ((uint)b >= (uint)pool.NumBlocks) throw new ArgumentException($"sequence {s}: block table names block {b}, pool has {pool.NumBlocks}");
        }
        if (t == 0) return;
        fixed (int* tables = batch.TablesArray, offsets = batch.TableOffsets, positions = batch.PositionsArray, tokenSeq = batch.TokenSequencesArray)
        fixed (float* qp = queries, op = output)
        {
            var job = new BatchJob
            {
                Geometry = new Geometry(spec, heads), Kv = Source.Of(pool, layer),
                Tables = tables, TableOffsets = offsets, Positions = positions, TokenSeq = tokenSeq, Q = qp, O = op, Heads = heads,
            };
            long work = 0;
            for (int s = 0; s < batch.SequenceCount; s++) work += (long)batch.TokenCountOf(s) * heads * (batch.StartPosition(s) + batch.TokenCountOf(s));
            if (ComputePool.Shared.Threads == 1 || work < ParallelWorkThreshold) job.Execute(0, t * heads);
            else ComputePool.Shared.For(t * heads, Math.Max(1, heads / 2), ref job);
        }
    }

    /// <summary>Block geometry shared by the kernels.</summary>
    private readonly struct Geometry(KvCacheSpec spec, int heads)
    {
        public readonly int BlockSize = spec.BlockSize, HeadDim = spec.HeadDim, KvDim = spec.KvDim, BlockElements = spec.BlockElements, KvHeads = spec.KvHeads;
        public readonly int Group = heads / spec.KvHeads;
        public readonly float Scale = 1f / MathF.Sqrt(spec.HeadDim);
    }

    /// <summary>Where one layer's K/V live: F32 regions, or int8 regions with per (token, kv head) scales.</summary>
    private readonly struct Source
    {
        public readonly float* K, V, KScale, VScale;
        public readonly sbyte* K8, V8;
        public readonly bool Int8;

        private Source(float* k, float* v, sbyte* k8, sbyte* v8, float* ks, float* vs, bool int8)
        {
            K = k; V = v; K8 = k8; V8 = v8; KScale = ks; VScale = vs; Int8 = int8;
        }

        public static Source Of(KvPool pool, int layer) => pool.IsInt8
            ? new Source(null, null, pool.KeyBase8(layer), pool.ValueBase8(layer), pool.KeyScaleBase(layer), pool.ValueScaleBase(layer), true)
            : new Source(pool.KeyBase(layer), pool.ValueBase(layer), null, null, null, null, false);
    }

    /// <summary>(token, head) items of a whole batch, flattened as token·heads + head.</summary>
    private struct BatchJob : IRangeJob
    {
        public Geometry Geometry;
        public Source Kv;
        public float* Q, O;
        public int* Tables, TableOffsets, Positions, TokenSeq;
        public int Heads;

        public readonly void Execute(int start, int end)
        {
            int hd = Geometry.HeadDim;
            Span<float> scores = Geometry.BlockSize <= 1024 ? stackalloc float[Geometry.BlockSize] : new float[Geometry.BlockSize];
            Span<float> row = hd <= 1024 ? stackalloc float[hd] : new float[hd];
            for (int item = start; item < end; item++)
            {
                int tok = item / Heads, h = item % Heads;
                int* table = Tables + TableOffsets[TokenSeq[tok]];
                Attend(Geometry, Kv, table, new ReadOnlySpan<float>(Q + (long)item * hd, hd),
                    new Span<float>(O + (long)item * hd, hd), Positions[tok] + 1, h / Geometry.Group, scores, row);
            }
        }
    }

    /// <summary>Pointers and geometry for one call; a class so the parallel path can hand <see cref="Run"/> out as a delegate.</summary>
    private sealed class Job(KvCacheSpec spec, Source kv, int* table, float* q, float* o, int p0, int heads)
    {
        private readonly Geometry _g = new(spec, heads);

        /// <summary>Work items [start, end) of (query i, head h) flattened as i·heads + h.</summary>
        public void Run(int start, int end)
        {
            int hd = _g.HeadDim;
            Span<float> scores = _g.BlockSize <= 1024 ? stackalloc float[_g.BlockSize] : new float[_g.BlockSize];
            Span<float> row = hd <= 1024 ? stackalloc float[hd] : new float[hd];
            for (int item = start; item < end; item++)
            {
                int i = item / heads, h = item % heads;
                Attend(_g, kv, table, new ReadOnlySpan<float>(q + (long)item * hd, hd), new Span<float>(o + (long)item * hd, hd),
                    p0 + i + 1, h / _g.Group, scores, row);
            }
        }
    }

    /// <summary>One query head against positions 0..ctx−1 of kv head <paramref name="kvh"/> (online softmax per block).</summary>
    /// <remarks>Int8: K·q = scale_k·(q·k8) and V rows enter the accumulator with weight p·scale_v, each int8 row
    /// widened to F32 in <paramref name="row"/> [headDim] first.</remarks>
    private static void Attend(in Geometry g, in Source kv, int* table, ReadOnlySpan<float> query, Span<float> acc, int ctx, int kvh, Span<float> scores, Span<float> row)
    {
        int bs = g.BlockSize, hd = g.HeadDim, kvDim = g.KvDim;
        acc.Clear();
        float runMax = float.NegativeInfinity, runSum = 0f;
        int blocks = (ctx + bs - 1) / bs;
        for (int b = 0; b < blocks; b++)
        {
            int n = Math.Min(bs, ctx - b * bs);
            long baseOff = (long)table[b] * g.BlockElements + kvh * hd;  // slot 0 of this kv head in block b
            long scaleOff = (long)table[b] * bs * g.KvHeads + kvh;        // its scale, stride KvHeads per slot
            var s = scores[..n];
            if (kv.Int8)
            {
                for (int t = 0; t < n; t++)
                {
                    TensorPrimitives.ConvertTruncating<sbyte, float>(new ReadOnlySpan<sbyte>(kv.K8 + baseOff + (long)t * kvDim, hd), row);
                    s[t] = TensorPrimitives.Dot(query, row) * (kv.KScale[scaleOff + (long)t * g.KvHeads] * g.Scale);
                }
            }
            else
            {
                for (int t = 0; t < n; t++)
                    s[t] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(kv.K + baseOff + (long)t * kvDim, hd)) * g.Scale;
            }
            float newMax = MathF.Max(runMax, TensorPrimitives.Max(s));
            if (newMax != runMax)
            {
                // exp(-inf) = 0 on the first block, which zeroes an already-zero accumulator.
                float correction = MathF.Exp(runMax - newMax);
                runSum *= correction;
                TensorPrimitives.Multiply(acc, correction, acc);
                runMax = newMax;
            }
            for (int t = 0; t < n; t++)
            {
                float p = MathF.Exp(s[t] - runMax);
                runSum += p;
                if (kv.Int8)
                {
                    TensorPrimitives.ConvertTruncating<sbyte, float>(new ReadOnlySpan<sbyte>(kv.V8 + baseOff + (long)t * kvDim, hd), row);
                    TensorPrimitives.MultiplyAdd(row, p * kv.VScale[scaleOff + (long)t * g.KvHeads], acc, acc);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kv.V + baseOff + (long)t * kvDim, hd), p, acc, acc);
                }
            }
        }
        TensorPrimitives.Multiply(acc, 1f / runSum, acc);
    }
}
