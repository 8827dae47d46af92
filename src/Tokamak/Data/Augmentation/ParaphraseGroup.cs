namespace Tokamak.Data.Augmentation;

/// <summary>Interchangeable phrasings of one instruction (e.g. several ways to ask for a translation to English).</summary>
/// <param name="Name">Group name counted in the report ("translate_en", …).</param>
/// <param name="Phrasings">Equivalent instruction texts; at least two.</param>
public sealed record ParaphraseGroup(string Name, IReadOnlyList<string> Phrasings)
{
    /// <summary>The built-in groups: translate to English, summarize, answer the question, rewrite formally, fix grammar, explain simply.</summary>
    public static IReadOnlyList<ParaphraseGroup> Defaults { get; } =
    [
        new("translate_en",
        [
            "Translate to English", "Translate this into English", "Translate the following text into English",
            "Please translate this to English", "Render the following in English", "Give the English translation of this text",
        ]),
        new("summarize",
        [
            "Summarize", "Summarize the following text", "Write a short summary of this text", "Give a brief summary",
            "Condense the following into a few sentences", "Provide a concise summary of the text below",
        ]),
        new("answer_question",
        [
            "Answer the question", "Answer the following question", "Please answer this question",
            "Respond to the question below", "Give an answer to this question", "What is the answer to the following question",
        ]),
        new("rewrite_formal",
        [
            "Rewrite this in a formal tone", "Make the following text more formal", "Rephrase this text formally",
            "Rewrite the text below using formal language",
        ]),
        new("fix_grammar",
        [
            "Fix the grammar", "Correct the grammar of the following text", "Correct any grammatical errors in this text",
            "Proofread the following sentence",
        ]),
        new("explain_simply",
        [
            "Explain this simply", "Explain the following in simple terms", "Explain this as if to a child",
            "Give a simple explanation of the following",
        ]),
    ];
}
