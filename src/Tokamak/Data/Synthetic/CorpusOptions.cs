namespace Tokamak.Data.Synthetic;

/// <summary>How much of each kind of data <see cref="CorpusWriter"/> makes.</summary>
public sealed record CorpusOptions
{
    /// <summary>Seed of the training data (the held-out split does not depend on it).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Training stories (pretraining text).</summary>
    public int Stories { get; init; } = 20_000;

    /// <summary>Single-question SFT records, spread over tasks by <see cref="QaTask.Weight"/>.</summary>
    public int Questions { get; init; } = 40_000;

    /// <summary>Multi-turn chat records.</summary>
    public int Chats { get; init; } = 2_000;

    /// <summary>Story-request chat records.</summary>
    public int StoryChats { get; init; } = 500;

    /// <summary>Calculator tool-call records.</summary>
    public int ToolCalls { get; init; } = 1_000;

    /// <summary>Share of distinct texts held out (see <see cref="HeldOutSplit"/>).</summary>
    public double HeldOutFraction { get; init; } = HeldOutSplit.DefaultFraction;

    /// <summary>Most held-out questions per task.</summary>
    public int EvalQuestionsPerTask { get; init; } = 50;

    /// <summary>Held-out stories (for perplexity).</summary>
    public int EvalStories { get; init; } = 200;

    /// <summary>Size of the byte-level BPE vocabulary trained on the corpus, added tokens included (0: no tokenizer).</summary>
    public int TokenizerVocabSize { get; init; } = 2048;

    /// <summary>Context length recorded in tokenizer_config.json.</summary>
    public int ModelMaxLength { get; init; } = 512;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Check(Stories >= 0 && Stories <= 10_000_000, $"stories must be between 0 and 10000000, got {Stories}");
        Check(Questions >= 0 && Questions <= 10_000_000, $"questions must be between 0 and 10000000, got {Questions}");
        Check(Chats >= 0 && StoryChats >= 0 && ToolCalls >= 0, "chat, story-chat and tool-call counts must not be negative");
        Check(HeldOutFraction > 0 && HeldOutFraction < 1, $"the held-out fraction must be in (0, 1), got {HeldOutFraction}");
        Check(TokenizerVocabSize == 0 || (TokenizerVocabSize >= 300 && TokenizerVocabSize <= 65536), $"tokenizer vocab size must be 0 (none) or between 300 and 65536, got {TokenizerVocabSize}");
        Check(EvalQuestionsPerTask >= 0 && EvalStories >= 0, "eval sizes must not be negative");
    }
}
