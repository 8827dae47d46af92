using Tokamak.Engine;
using Tokamak.Engine.Scheduling;
using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Engine;

/// <summary>The tinystories-656k model and tokenizer plus single-sequence reference decoders for engine tests.</summary>
internal sealed class EngineTestModel : IDisposable
{
    private readonly LoadedWeights _w;

    public EngineTestModel()
    {
        string dir = TestPaths.Model("tinystories-656k");
        _w = WeightsLoader.Load(dir);
        Tokenizer = HfTokenizer.FromDirectory(dir);
        Model = new LlamaModel(_w.Config, _w.Weights);
    }

    public ModelConfig Config => _w.Config;
    public LlamaWeights Weights => _w.Weights;
    public Tokenizer Tokenizer { get; }
    public LlamaModel Model { get; }

    public LlmEngine Engine(EngineOptions options) => new(Config, Weights, Tokenizer, options);

    public int[] Encode(string text) => Tokenizer.Encode(text);

    /// <summary>Greedy tokens from the contiguous-cache forward, stopping after an EOS (included) or max tokens.</summary>
    public List<int> Greedy(int[] prompt, int maxTokens, bool ignoreEos = false)
    {
        using var s = Model.CreateState(Config.MaxPositions);
        Model.Forward(s, prompt);
        var output = new List<int>();
        while (output.Count < maxTokens)
        {
            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(s.Logits);
            output.Add(next);
            if (!ignoreEos && Config.EosTokenIds.Contains(next)) break;
            if (output.Count < maxTokens) Model.Forward(s, [next]);
        }
        return output;
    }

    /// <summary>Log-softmax of the next-token distribution after <paramref name="tokens"/>, in double.</summary>
    public double[] NextLogprobs(int[] tokens)
    {
        using var s = Model.CreateState(tokens.Length + 1);
        Model.Forward(s, tokens);
        var l = s.Logits;
        double max = double.NegativeInfinity;
        foreach (float x in l) max = Math.Max(max, x);
        double sum = 0;
        foreach (float x in l) sum += Math.Exp(x - max);
        double logZ = max + Math.Log(sum);
        var r = new double[l.Length];
        for (int i = 0; i < l.Length; i++) r[i] = l[i] - logZ;
        return r;
    }

    public void Dispose() => _w.Dispose();

    /// <summary>Reads a request's stream to the end.</summary>
    public static async Task<Result> Collect(EngineRequestHandle h, int n = 1, Action<EngineOutput>? onEvent = null)
    {
        var r = new Result(n);
        await foreach (var e in h)
        {
            onEvent?.Invoke(e);
            Assert.Null(r.Finish[e.Choice]); // nothing after a choice's final event
            if (e.TokenId >= 0) r.Tokens[e.Choice].Add(e.TokenId);
            r.Text[e.Choice] += e.TextDelta;
            if (e.FinishReason is { } f) r.Finish[e.Choice] = f;
            if (e.Usage is { } u) r.Usage = u;
        }
        Assert.All(r.Finish, f => Assert.NotNull(f));
        Assert.NotNull(r.Usage);
        Assert.Equal(r.Usage, await h.Completion);
        return r;
    }

    internal sealed class Result(int n)
    {
        public List<int>[] Tokens { get; } = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        public string[] Text { get; } = Enumerable.Repeat("", n).ToArray();
        public FinishReason?[] Finish { get; } = new FinishReason?[n];
        public EngineUsage? Usage { get; set; }
    }
}
