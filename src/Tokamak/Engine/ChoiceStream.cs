using Tokamak.Engine.Sampling;
using Tokamak.Engine.Scheduling;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Engine;

/// <summary>
/// Output side of one choice: turns its tokens into <see cref="EngineOutput"/> events with incremental
/// detokenization and stop-string hold-back, and owns its sampler and current scheduler request.
/// </summary>
internal sealed class ChoiceStream
{
    private readonly StreamingDetokenizer _detok;
    private readonly StopStringMatcher _stops;
    private readonly int _tokenizerVocab; // models often have more embedding rows than the tokenizer has tokens

    public ChoiceStream(int index, Tokenizer tokenizer, bool skipSpecial, IReadOnlyList<string> stops, Sampler? sampler)
    {
        Index = index;
        _detok = new StreamingDetokenizer(tokenizer, skipSpecial);
        _stops = new StopStringMatcher(stops);
        _tokenizerVocab = tokenizer.VocabSize;
        Sampler = sampler;
    }

    public int Index { get; }

    /// <summary>Null under beam search.</summary>
    public Sampler? Sampler { get; }

    /// <summary>The scheduler request generating this choice (null before a fork creates it, and for beams).</summary>
    public Request? Request { get; set; }

    /// <summary>Logprobs of the token sampled this step, reported with its event.</summary>
    public TokenLogprobs? PendingLogprobs { get; set; }

    public bool Finished { get; private set; }

    public int CompletionTokens { get; private set; }

    /// <summary>
    /// Event for <paramref name="token"/>. <paramref name="finish"/> is the scheduler's verdict (Stop means the token
    /// is EOS/stop id and is not shown). Returns the event and whether a stop string ended the choice while the
    /// scheduler request is still live (the caller must abort it).
    /// </summary>
    public (EngineOutput Output, bool StopStringHit) OnToken(int token, FinishReason? finish)
    {
        if (Finished) throw new InvalidOperationException($"choice {Index} already finished");
        CompletionTokens++;
        string text;
        bool stopHit = false;
        if (finish == FinishReason.Stop)
        {
            text = _stops.Push(_detok.Flush());
            if (!_stops.Stopped) text += _stops.Flush();
        }
        else
        {
            // An id past the tokenizer (padding rows of the embedding) has no text; it must not fail the engine.
            text = _stops.Push(token < _tokenizerVocab ? _detok.Next(token) : "");
            if (_stops.Stopped)
            {
                stopHit = finish is null;
                finish = FinishReason.Stop;
            }
            else if (finish is not null)
            {
                text += _stops.Push(_detok.Flush());
                if (_stops.Stopped) finish = FinishReason.Stop;
                else text += _stops.Flush();
            }
        }
        var lp = PendingLogprobs;
        PendingLogprobs = null;
        Finished = finish is not null;
        return (new EngineOutput(Index, token, text, lp, finish), stopHit);
    }

    /// <summary>Final event of an aborted choice (held-back text is dropped, as the client has gone).</summary>
    public EngineOutput OnAbort()
    {
        Finished = true;
        return new EngineOutput(Index, -1, "", null, FinishReason.Abort);
    }
}
