using System.Text.Json.Nodes;
using Tokamak.Text.Tokenizers.Training;

namespace Tokamak.Data.Synthetic;

/// <summary>Trains the default model's byte-level BPE on a training set and writes it as Hugging Face tokenizer files.</summary>
public static class CorpusTokenizer
{
    // Text the chat template adds around turns: part of every SFT example, so worth tokens of its own.
    private static readonly string[] TemplateText =
    [
        "system\n", "user\n", "assistant\n", "\n<tool_response>\n", "\n</tool_response>", "# Tools\n<tools>\n", "\n</tools>\n",
        "To call a tool, answer with ", "\n{\"name\": <name>, \"arguments\": <json>}\n",
    ];

    /// <summary>
    /// Trains on the stories, every message, system prompt and tool schema of <paramref name="train"/> and writes
    /// tokenizer.json / tokenizer_config.json to <paramref name="directory"/>.
    /// </summary>
    /// <param name="train">The training texts.</param>
    /// <param name="directory">Output folder.</param>
    /// <param name="totalVocabSize">Vocabulary size including the <see cref="TokenizerFilesWriter.AddedTokens"/>.</param>
    /// <param name="modelMaxLength">The model's context length, recorded in tokenizer_config.json.</param>
    public static BpeVocabulary TrainAndWrite(TrainingSet train, string directory, int totalVocabSize, int modelMaxLength)
    {
        int bpeSize = totalVocabSize - TokenizerFilesWriter.AddedTokens.Length;
        if (bpeSize < 256) throw new ArgumentException($"vocab size must be at least {256 + TokenizerFilesWriter.AddedTokens.Length}, got {totalVocabSize}");
        var vocabulary = BpeTrainer.Train(Texts(train), bpeSize);
        TokenizerFilesWriter.Write(directory, vocabulary, modelMaxLength);
        return vocabulary;
    }

    /// <summary>Every text of the training set a model will see, templates' fixed text included.</summary>
    public static IEnumerable<string> Texts(TrainingSet train)
    {
        foreach (var s in train.Stories) yield return s;
        foreach (var record in train.Questions.Concat(train.Chats))
        {
            if (record["system"] is JsonValue sys) yield return sys.GetValue<string>();
            if (record["tools"] is JsonValue tools) yield return tools.GetValue<string>();
            if (record["conversations"] is JsonArray turns)
                foreach (var t in turns)
                    if (t?["value"] is JsonValue v) yield return v.GetValue<string>();
        }
        foreach (var t in TemplateText) yield return t;
    }
}
