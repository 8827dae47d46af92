using System.Diagnostics;
using Tokamak.Engine.Sampling;
using Tokamak.Models.Architectures;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Engine;

/// <summary>A token as it is produced: its id, the text it completes (may be empty mid-character) and logprobs.</summary>
public sealed record GeneratedToken(int Id, string Text, TokenLogprobs? Logprobs);

/// <summary>The outcome of one generation.</summary>
public sealed record GenerationResult(
    int[] PromptIds,
    int[] Ids,
    string Text,
    string FinishReason,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    IReadOnlyList<TokenLogprobs>? Logprobs)
{
    /// <summary>Prompt tokens per second of prefill.</summary>
    public double PrefillTokensPerSecond => PromptIds.Length / Math.Max(PrefillTime.TotalSeconds, 1e-9);

    /// <summary>Generated tokens per second after the first (each needs one decode step).</summary>
    public double DecodeTokensPerSecond => Math.Max(Ids.Length - 1, 0) / Math.Max(DecodeTime.TotalSeconds, 1e-9);
}

/// <summary>
/// Single-sequence generation: prefill the prompt, then sample and decode one token at a time until EOS, a stop
/// token or string, or the token limit. Text is streamed through <see cref="StreamingDetokenizer"/> so a callback
/// never sees half a UTF-8 character, and through <see cref="StopStringMatcher"/> so it never sees a stop string.
/// </summary>
public sealed class Generator
{
    private readonly LlamaModel _model;
    private readonly Tokenizer _tokenizer;

    /// <summary>Creates a generator for a model and its tokenizer.</summary>
    public Generator(LlamaModel model, Tokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>Tokens computed per forward call during prefill.</summary>
    public int PrefillChunk { get; init; } = 256;

    /// <summary>Precision of the KV cache.</summary>
    public KvPrecision KvPrecision { get; init; } = KvPrecision.F32;

    /// <summary>Generates a continuation of <paramref name="promptIds"/>.</summary>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, SamplingParams p, Action<GeneratedToken>? onToken = null, CancellationToken ct = default)
    {
        p.Validate();
        var cfg = _model.Config;
        if (promptIds.Count == 0) throw new ArgumentException("the prompt is empty (no tokens); give some text or a model with a BOS token");
        if (promptIds.Count >= cfg.MaxPositions)
            throw new ArgumentException($"the prompt has {promptIds.Count} tokens, but the model's context length is {cfg.MaxPositions}");
        int capacity = Math.Min(cfg.MaxPositions, promptIds.Count + p.MaxTokens);
        var eos = new HashSet<int>(cfg.EosTokenIds);
        if (_tokenizer.EosId is int te) eos.Add(te);
        var sampler = new Sampler(cfg.VocabSize, p, eos);
        var prompt = promptIds.ToArray();
        sampler.AddPrompt(prompt);

        using var state = _model.CreateState(capacity, Math.Min(PrefillChunk, prompt.Length), KvPrecision);
        var detok = new StreamingDetokenizer(_tokenizer, skipSpecialTokens: true);
        var stops = new StopStringMatcher(p.Stop);
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        List<TokenLogprobs>? logprobs = p.Logprobs || p.TopLogprobs > 0 ? [] : null;
        float[]? raw = logprobs is null ? null : new float[cfg.VocabSize];
        string finish = "length";

        var sw = Stopwatch.StartNew();
        _model.Forward(state, prompt);
        var prefill = sw.Elapsed;
        sw.Restart();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var logits = state.Logits;
            if (raw is not null) logits.CopyTo(raw);
            int next = sampler.Sample(logits);
            var lp = raw is not null ? sampler.Logprobs(raw, next) : null;
            if (sampler.IsStopToken(next))
            {
                finish = "stop";
                break;
            }
            sampler.Accept(next);
            ids.Add(next);
            if (lp is not null) logprobs!.Add(lp);
            string delta = stops.Push(detok.Next(next));
            text.Append(delta);
            onToken?.Invoke(new GeneratedToken(next, delta, lp));
            if (stops.Stopped)
            {
                finish = "stop";
                break;
            }
            if (ids.Count >= p.MaxTokens || state.Length >= capacity) break;
            _model.Forward(state, [next]);
        }
        var decode = sw.Elapsed;
        if (!stops.Stopped)
        {
            string tail = stops.Push(detok.Flush()) + stops.Flush();
            if (tail.Length > 0)
            {
                text.Append(tail);
                onToken?.Invoke(new GeneratedToken(-1, tail, null));
            }
        }
        return new GenerationResult(prompt, [.. ids], text.ToString(), finish, prefill, decode, logprobs);
    }
}
