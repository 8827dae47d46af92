namespace Tokamak.Data;

/// <summary>The reason codes counted in <see cref="DataReport.Dropped"/>.</summary>
public static class DropReasons
{
    /// <summary>Alpaca instruction missing, empty or not a string.</summary>
    public const string MissingInstruction = "missing_instruction";
    /// <summary>Alpaca output missing, empty or not a string.</summary>
    public const string MissingOutput = "missing_output";
    /// <summary>Input (query) present but not a string.</summary>
    public const string InvalidInput = "invalid_input";
    /// <summary>History is not a list of [user, assistant] string pairs.</summary>
    public const string InvalidHistory = "invalid_history";
    /// <summary>System prompt is not a string.</summary>
    public const string InvalidSystem = "invalid_system";
    /// <summary>Message list missing, empty or not a list of objects with string role/content.</summary>
    public const string InvalidMessages = "invalid_messages";
    /// <summary>A message's role is unknown or on the wrong position (user/observation odd, assistant/function even).</summary>
    public const string InvalidRoleOrder = "invalid_role_order";
    /// <summary>Conversation does not end on the side it must (assistant for SFT, user for ranking prompts).</summary>
    public const string InvalidMessageCount = "invalid_message_count";
    /// <summary>Ranking record without string/message chosen and rejected answers.</summary>
    public const string InvalidPreference = "invalid_preference";
    /// <summary>Pretraining record without a non-empty text field.</summary>
    public const string MissingText = "missing_text";
    /// <summary>Same normalized text as an earlier example.</summary>
    public const string ExactDuplicate = "exact_duplicate";
    /// <summary>Estimated Jaccard similarity to an earlier example at or above the threshold.</summary>
    public const string NearDuplicate = "near_duplicate";
    /// <summary>Fewer characters than allowed.</summary>
    public const string TooFewChars = "too_few_chars";
    /// <summary>More characters than allowed.</summary>
    public const string TooManyChars = "too_many_chars";
    /// <summary>Fewer words than allowed.</summary>
    public const string TooFewWords = "too_few_words";
    /// <summary>More words than allowed.</summary>
    public const string TooManyWords = "too_many_words";
    /// <summary>Too much of the text is lines repeated across many documents.</summary>
    public const string Boilerplate = "boilerplate";
    /// <summary>Too many repeated word n-grams inside the document.</summary>
    public const string RepeatedNgrams = "repeated_ngrams";
    /// <summary>Too small a fraction of letters in the allowed scripts.</summary>
    public const string ScriptRatio = "script_ratio";
    /// <summary>Perplexity above the configured percentile.</summary>
    public const string Perplexity = "perplexity";
    /// <summary>Quality classifier score below the threshold.</summary>
    public const string LowQuality = "low_quality";
}
