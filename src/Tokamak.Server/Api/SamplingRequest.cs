using Tokamak.Engine.Sampling;
using Tokamak.Server.Backend;

namespace Tokamak.Server.Api;

/// <summary>The generation settings common to chat and text completions, parsed and range-checked.</summary>
internal sealed record SamplingRequest
{
    public required SamplingParams Sampling { get; init; }
    public int N { get; init; } = 1;
    public BeamSearchOptions? BeamSearch { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    public int Priority { get; init; }
    public string? CacheSalt { get; init; }

    /// <summary>
    /// Reads the sampling fields. <paramref name="chat"/> selects the chat form of <c>logprobs</c> (a boolean plus
    /// <c>top_logprobs</c>) over the completions form (an integer count). <c>max_tokens</c> defaults to the room left
    /// in the context; asking for more than that is a 400 with code <c>context_length_exceeded</c>.
    /// </summary>
    public static SamplingRequest Parse(RequestReader r, bool chat, int promptTokens, int contextLength, int maxN)
    {
        int room = contextLength - promptTokens;
        string maxName = chat && r.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int? max = r.Int(maxName, int.MinValue, int.MaxValue);
        if (max is < 1) throw ApiException.BadRequest($"'{maxName}' must be at least 1, got {max}", maxName);
        if (max > room)
            throw ApiException.BadRequest(
                $"this model's maximum context length is {contextLength} tokens; the request has {promptTokens} prompt tokens and asks for {max} more",
                maxName, "context_length_exceeded");

        bool logprobs;
        int top;
        if (chat)
        {
            logprobs = r.Bool("logprobs") ?? false;
            top = r.Int("top_logprobs", 0, 20) ?? 0;
            if (top > 0 && !logprobs) throw ApiException.BadRequest("'top_logprobs' needs 'logprobs' set to true", "top_logprobs");
        }
        else
        {
            int? lp = r.Int("logprobs", 0, 20);
            logprobs = lp is not null;
            top = lp ?? 0;
        }

        int n = r.Int("n", 1, maxN) ?? 1;
        BeamSearchOptions? beam = null;
        if (r.Bool("use_beam_search") == true)
            beam = new BeamSearchOptions(r.Int("beam_width", 1, 64) ?? n, (float)(r.Number("length_penalty", -10, 10) ?? 1.0));

        bool stream = r.Bool("stream") ?? false;
        var so = r.Object("stream_options");
        bool includeUsage = false;
        if (so is not null)
        {
            var sor = new RequestReader(so);
            includeUsage = sor.Bool("include_usage") ?? false;
        }
        r.String("user"); // accepted and type-checked; not used

        long? seed = r.Long("seed", long.MinValue, long.MaxValue);
        var p = new SamplingParams
        {
            Temperature = (float)(r.Number("temperature", 0, 2) ?? 1.0),
            TopP = (float)(r.Number("top_p", 0, 1) ?? 1.0),
            TopK = r.Int("top_k", -1, int.MaxValue) ?? 0,
            MinP = (float)(r.Number("min_p", 0, 1) ?? 0.0),
            PresencePenalty = (float)(r.Number("presence_penalty", -2, 2) ?? 0.0),
            FrequencyPenalty = (float)(r.Number("frequency_penalty", -2, 2) ?? 0.0),
            RepetitionPenalty = (float)(r.Number("repetition_penalty", double.Epsilon, 100) ?? 1.0),
            Seed = seed is long s ? unchecked((ulong)s) : null,
            MaxTokens = max ?? room,
            MinTokens = r.Int("min_tokens", 0, int.MaxValue) ?? 0,
            Stop = r.StringOrStrings("stop", 16) ?? [],
            StopTokenIds = r.Ints("stop_token_ids", 0, int.MaxValue) ?? [],
            IgnoreEos = r.Bool("ignore_eos") ?? false,
            Logprobs = logprobs,
            TopLogprobs = top,
        };
        if (p.TopP <= 0) throw ApiException.BadRequest($"'top_p' must be in (0, 1], got {p.TopP}", "top_p");
        try { p.Validate(); }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message, ParamOf(e.Message)); }

        return new SamplingRequest
        {
            Sampling = p,
            N = n,
            BeamSearch = beam,
            Stream = stream,
            IncludeUsage = includeUsage,
            Priority = r.Int("priority", int.MinValue, int.MaxValue) ?? 0,
            CacheSalt = r.String("cache_salt"),
        };
    }

    /// <summary>The leading snake_case word of a <see cref="SamplingParams.Validate"/> message, which names the field.</summary>
    public static string? ParamOf(string message)
    {
        int i = 0;
        while (i < message.Length && (char.IsAsciiLetterLower(message[i]) || message[i] == '_')) i++;
        return i > 0 && i < message.Length && message[i] == ' ' ? message[..i] : null;
    }
}
