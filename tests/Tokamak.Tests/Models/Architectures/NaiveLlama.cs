using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Tensors;

namespace Tokamak.Tests.Models.Architectures;

/// <summary>
/// A deliberately naive Llama-family forward in double precision, written from the papers' and Hugging Face's
/// definitions without sharing any code with the engine except weight dequantization: full recomputation per
/// token, explicit softmax, rotate_half or adjacent-pair RoPE computed from first principles.
/// </summary>
internal sealed unsafe class NaiveLlama
{
    private readonly ModelConfig _c;
    private readonly LlamaWeights _w;

    public NaiveLlama(ModelConfig c, LlamaWeights w)
    {
        _c = c;
        _w = w;
    }

    private static double[] Row(Tensor t, int r)
    {
        var f = new float[t.Cols];
        Tokamak.Tensors.Kernels.Dequant.RowScalar(t.DType, t.Row(r), f);
        return f.Select(x => (double)x).ToArray();
    }

    private static double[] MatVec(Tensor w, double[] x)
    {
        var y = new double[w.Rows];
        for (int o = 0; o < w.Rows; o++)
        {
            var row = Row(w, o);
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += row[i] * x[i];
            y[o] = s;
        }
        return y;
    }

    private double[] Norm(double[] x, float[] w, int offset = 0, int len = -1)
    {
        if (len < 0) len = x.Length;
        double ss = 0;
        for (int i = 0; i < len; i++) ss += x[offset + i] * x[offset + i];
        double inv = 1 / Math.Sqrt(ss / len + _c.RmsEps);
        var y = (double[])x.Clone();
        for (int i = 0; i < len; i++) y[offset + i] = x[offset + i] * inv * w[i];
        return y;
    }

    private void RopeInPlace(double[] v, int heads, int pos, Func<int, double> invFreq, double mscale)
    {
        int d = _c.HeadDim;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < d / 2; i++)
            {
                double a = pos * invFreq(i), cos = Math.Cos(a) * mscale, sin = Math.Sin(a) * mscale;
                int i0 = _c.RopeStyle == Tokamak.Tensors.Kernels.RopeStyle.Neox ? h * d + i : h * d + 2 * i;
                int i1 = _c.RopeStyle == Tokamak.Tensors.Kernels.RopeStyle.Neox ? h * d + i + d / 2 : h * d + 2 * i + 1;
                double x0 = v[i0], x1 = v[i1];
                v[i0] = x0 * cos - x1 * sin;
                v[i1] = x1 * cos + x0 * sin;
            }
    }

    /// <summary>Logits after the last of <paramref name="tokens"/>.</summary>
    public double[] Logits(int[] tokens, Func<int, double> invFreq, double mscale = 1)
    {
        int n = tokens.Length, d = _c.HeadDim, group = _c.Heads / _c.KvHeads;
        var x = tokens.Select(t => Row(_w.Embedding, t)).ToArray();
        foreach (var L in _w.Layers)
        {
            var qs = new double[n][];
            var ks = new double[n][];
            var vs = new double[n][];
            for (int p = 0; p < n; p++)
            {
                var h = Norm(x[p], L.AttnNorm);
                qs[p] = MatVec(L.Wq, h);
                ks[p] = MatVec(L.Wk, h);
                vs[p] = MatVec(L.Wv, h);
                if (L.Bq is not null)
                {
                    for (int i = 0; i < qs[p].Length; i++) qs[p][i] += L.Bq[i];
                    for (int i = 0; i < ks[p].Length; i++) { ks[p][i] += L.Bk![i]; vs[p][i] += L.Bv![i]; }
                }
                if (L.QNorm is not null)
                {
                    for (int hh = 0; hh < _c.Heads; hh++) qs[p] = Norm(qs[p], L.QNorm, hh * d, d);
                    for (int hh = 0; hh < _c.KvHeads; hh++) ks[p] = Norm(ks[p], L.KNorm!, hh * d, d);
                }
                RopeInPlace(qs[p], _c.Heads, p, invFreq, mscale);
                RopeInPlace(ks[p], _c.KvHeads, p, invFreq, mscale);
            }
            for (int p = 0; p < n; p++)
            {
                var att = new double[_c.QDim];
                for (int hh = 0; hh < _c.Heads; hh++)
                {
                    int kv = hh / group;
                    var s = new double[p + 1];
                    for (int t = 0; t <= p; t++)
                    {
                        for (int e = 0; e < d; e++) s[t] += qs[p][hh * d + e] * ks[t][kv * d + e];
                        s[t] /= Math.Sqrt(d);
                    }
                    double max = s.Max(), z = s.Sum(v => Math.Exp(v - max));
                    for (int t = 0; t <= p; t++)
                        for (int e = 0; e < d; e++) att[hh * d + e] += Math.Exp(s[t] - max) / z * vs[t][kv * d + e];
                }
                var o = MatVec(L.Wo, att);
                for (int i = 0; i < o.Length; i++) x[p][i] += o[i];
            }
            for (int p = 0; p < n; p++)
            {
                var h = Norm(x[p], L.FfnNorm);
                var g = MatVec(L.Gate, h);
                var u = MatVec(L.Up, h);
                for (int i = 0; i < g.Length; i++) g[i] = g[i] / (1 + Math.Exp(-g[i])) * u[i];
                var down = MatVec(L.Down, g);
                for (int i = 0; i < down.Length; i++) x[p][i] += down[i];
            }
        }
        return MatVec(_w.Output, Norm(x[n - 1], _w.FinalNorm));
    }
}
