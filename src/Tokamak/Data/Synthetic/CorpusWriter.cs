using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Synthetic;

/// <summary>What <see cref="CorpusWriter.Write"/> wrote: counts per file.</summary>
public sealed record CorpusSummary(string Directory, int Stories, int Questions, int Chats, int EvalQuestions, int EvalStories, long StoryCharacters, int VocabSize);

/// <summary>
/// Writes a corpus folder the data pipeline reads through its LLaMA-Factory <c>dataset_info.json</c>:
/// <list type="bullet">
/// <item><c>stories.jsonl</c> — pretraining documents (<c>{"text": …}</c>), dataset <c>tokamak_stories</c>;</item>
/// <item><c>qa_sft.json</c> — single questions in ShareGPT, dataset <c>tokamak_qa</c>;</item>
/// <item><c>chat_sft.json</c> — multi-turn, story and calculator tool-call chats in ShareGPT with <c>system</c>/<c>tools</c> columns, dataset <c>tokamak_chat</c>;</item>
/// <item><c>heldout/qa.jsonl</c> (<c>{"task", "question", "answer"}</c>) and <c>heldout/stories.jsonl</c> — the evaluation split,
/// deliberately not listed in dataset_info.json so no training run can pick it up;</item>
/// <item><c>tokenizer/</c> — tokenizer.json and tokenizer_config.json trained on the training texts (when asked for);</item>
/// <item><c>corpus.json</c> — the options and counts.</item>
/// </list>
/// </summary>
public static class CorpusWriter
{
    /// <summary>Pretraining dataset name in dataset_info.json.</summary>
    public const string StoriesDataset = "tokamak_stories";
    /// <summary>Single-question SFT dataset name.</summary>
    public const string QaDataset = "tokamak_qa";
    /// <summary>Chat / tool-call SFT dataset name.</summary>
    public const string ChatDataset = "tokamak_chat";
    /// <summary>Tokenizer folder, relative to the corpus folder.</summary>
    public const string TokenizerFolder = "tokenizer";
    /// <summary>Held-out questions, relative to the corpus folder.</summary>
    public static readonly string HeldOutQuestionsFile = Path.Combine("heldout", "qa.jsonl");
    /// <summary>Held-out stories, relative to the corpus folder.</summary>
    public static readonly string HeldOutStoriesFile = Path.Combine("heldout", "stories.jsonl");

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Generates and writes the corpus for <paramref name="options"/> into <paramref name="directory"/> (created if needed).</summary>
    public static CorpusSummary Write(string directory, CorpusOptions options)
    {
        options.Validate();
        var train = TrainingSet.Generate(options);
        var heldOut = HeldOutSet.Generate(options.HeldOutFraction, options.EvalQuestionsPerTask, options.EvalStories);
        Directory.CreateDirectory(Path.Combine(directory, "heldout"));

        WriteLines(Path.Combine(directory, "stories.jsonl"), train.Stories.Select(s => new JsonObject { ["text"] = s }));
        WriteArray(Path.Combine(directory, "qa_sft.json"), train.Questions);
        WriteArray(Path.Combine(directory, "chat_sft.json"), train.Chats);
        WriteLines(Path.Combine(directory, HeldOutQuestionsFile),
            heldOut.Questions.Select(q => new JsonObject { ["task"] = q.Task, ["question"] = q.Question, ["answer"] = q.Answer }));
        WriteLines(Path.Combine(directory, HeldOutStoriesFile), heldOut.Stories.Select(s => new JsonObject { ["text"] = s }));
        File.WriteAllText(Path.Combine(directory, "dataset_info.json"), DatasetInfo().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        int vocab = 0;
        if (options.TokenizerVocabSize > 0)
        {
            var v = CorpusTokenizer.TrainAndWrite(train, Path.Combine(directory, TokenizerFolder), options.TokenizerVocabSize, options.ModelMaxLength);
            vocab = v.Tokens.Count + Text.Tokenizers.Training.TokenizerFilesWriter.AddedTokens.Length;
        }

        var summary = new CorpusSummary(directory, train.Stories.Count, train.Questions.Count, train.Chats.Count, heldOut.Questions.Count,
            heldOut.Stories.Count, train.Stories.Sum(s => (long)s.Length), vocab);
        var manifest = new JsonObject
        {
            ["generator"] = "tokamak corpus",
            ["seed"] = options.Seed,
            ["held_out_fraction"] = options.HeldOutFraction,
            ["held_out_seed"] = HeldOutSet.EvalSeed,
            ["stories"] = summary.Stories,
            ["questions"] = summary.Questions,
            ["chats"] = summary.Chats,
            ["eval_questions"] = summary.EvalQuestions,
            ["eval_stories"] = summary.EvalStories,
            ["tokenizer_vocab_size"] = vocab,
            ["tasks"] = new JsonArray([.. QaTasks.All.Select(t => (JsonNode)JsonValue.Create(t.Name))]),
        };
        File.WriteAllText(Path.Combine(directory, "corpus.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return summary;
    }

    /// <summary>The dataset_info.json entries for the three training files.</summary>
    public static JsonObject DatasetInfo() => new()
    {
        [StoriesDataset] = new JsonObject { ["file_name"] = "stories.jsonl", ["columns"] = new JsonObject { ["prompt"] = "text" } },
        [QaDataset] = new JsonObject
        {
            ["file_name"] = "qa_sft.json", ["formatting"] = "sharegpt",
            ["columns"] = new JsonObject { ["messages"] = "conversations", ["system"] = "system" },
        },
        [ChatDataset] = new JsonObject
        {
            ["file_name"] = "chat_sft.json", ["formatting"] = "sharegpt",
            ["columns"] = new JsonObject { ["messages"] = "conversations", ["system"] = "system", ["tools"] = "tools" },
        },
    };

    private static void WriteLines(string path, IEnumerable<JsonObject> records)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.NewLine = "\n";
        foreach (var r in records) w.WriteLine(r.ToJsonString(Compact));
    }

    // A JSON array with one record per line: valid JSON for LLaMA-Factory, still readable and diffable.
    private static void WriteArray(string path, IReadOnlyList<JsonObject> records)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.NewLine = "\n";
        w.WriteLine("[");
        for (int i = 0; i < records.Count; i++)
            w.WriteLine(records[i].ToJsonString(Compact) + (i + 1 < records.Count ? "," : ""));
        w.WriteLine("]");
    }
}
