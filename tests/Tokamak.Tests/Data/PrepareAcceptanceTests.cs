using System.Text;
using Tokamak.Data;
using Tokamak.Data.Output;
using Tokamak.Data.Preparation;
using Tokamak.Data.Readers;
using Tokamak.Data.Rendering;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;
using Tokamak.Training;

namespace Tokamak.Tests.Data;

/// <summary>
/// Acceptance tests of <see cref="DataPreparer"/> on the fixture datasets in Fixtures/prepare (one per format and
/// formatting). Expected records are written by hand; expected ids are the Qwen3 tokenization of the ChatML text
/// assembled here segment by segment (special tokens split the text, so segment-wise encoding equals whole encoding),
/// and expected masks are exactly the assistant segments (answer + "&lt;|im_end|&gt;\n").
/// </summary>
public class PrepareAcceptanceTests : IDisposable
{
    private readonly List<string> _dirs = [];

    public void Dispose()
    {
        foreach (var d in _dirs) try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    private string CopyFixtures()
    {
        var d = CopyFixtureFolder();
        _dirs.Add(d);
        return d;
    }

    private static readonly HfTokenizer Qwen = HfTokenizer.FromDirectory(TestPaths.Tokenizer("qwen3"));
    private static readonly ChatTemplate ChatMl = new(TrainingRun.ChatMlSource, null, null);

    /// <summary>A scratch copy of Fixtures/prepare (tests add xlsx/parquet files to it).</summary>
    internal static string CopyFixtureFolder()
    {
        string src = DataFixtures.Path("prepare");
        string dir = Path.Combine(Path.GetTempPath(), "tokamak-prepare-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static DataPreparer Preparer(string dir, string dataset, string stage = "sft", RenderOptions? render = null, ErrorPolicy onError = ErrorPolicy.Fail, double paraphrase = 0) =>
        new(Qwen, stage == "pt" ? null : ChatMl, new PrepareOptions
        {
            DatasetDir = dir, Datasets = [dataset], OutDir = Path.Combine(dir, "out-" + dataset), Stage = stage,
            Render = render ?? new RenderOptions(256), Reader = new ReaderOptions { OnError = onError }, ParaphraseRatio = paraphrase,
        });

    // ChatML segments of a conversation: (text, trained).
    private static List<(string Text, bool Trained)> Segments(string? system, params (string Role, string Content)[] turns)
    {
        var s = new List<(string, bool)>();
        if (system != null) s.Add(($"<|im_start|>system\n{system}<|im_end|>\n", false));
        foreach (var (role, content) in turns)
            if (role == "assistant")
            {
                s.Add(("<|im_start|>assistant\n", false));
                s.Add(($"{content}<|im_end|>\n", true));
            }
            else s.Add(($"<|im_start|>{role}\n{content}<|im_end|>\n", false));
        return s;
    }

    private static (int[] Ids, bool[] Mask) Encode(IEnumerable<(string Text, bool Trained)> segments)
    {
        var ids = new List<int>();
        var mask = new List<bool>();
        foreach (var (text, trained) in segments)
        {
            var e = Qwen.Encode(text, addSpecialTokens: false);
            ids.AddRange(e);
            mask.AddRange(Enumerable.Repeat(trained, e.Length));
        }
        return (ids.ToArray(), mask.ToArray());
    }

    private static void AssertRendered(TokenizedRecord? actual, List<(string Text, bool Trained)> segments)
    {
        Assert.NotNull(actual);
        var (ids, mask) = Encode(segments);
        Assert.Equal(ids, actual.Ids);
        Assert.Equal(mask, actual.LossMask);
    }

    private static string Json(UnifiedExample e) => ExampleJsonl.ToJsonLine(e);

    [Fact]
    public void MixedAliasAlpacaWithChineseKeys_UnifiesAndRendersExactly()
    {
        var dir = CopyFixtures();
        var report = new DataReport();
        var got = Preparer(dir, "mixed_alpaca").Preview(10, report).ToList();
        UnifiedExample[] expected =
        [
            new() { Turns = [new(Role.User, "Summarize the following text\nLily had a red ball. She played with it every day."), new(Role.Assistant, "Lily played with her red ball daily.")] },
            new() { Turns = [new(Role.User, "Translate to English\n小猫很开心。"), new(Role.Assistant, "The kitten is happy.")] },
            new()
            {
                System = "You are a helpful assistant.",
                Turns = [new(Role.User, "Who is Tom?"), new(Role.Assistant, "Tom is a boy."), new(Role.User, "Answer the question"), new(Role.Assistant, "Tom went to the park.")],
            },
        ];
        Assert.Equal(expected.Select(Json), got.Select(g => Json(g.Example)));
        Assert.Equal(1, report.Dropped[DropReasons.MissingOutput]);
        Assert.Equal(1, report.Dropped[DropReasons.InvalidInput]);
        Assert.Equal(2, report.FieldVariants["instruction"]["instruction"]);
        Assert.Equal(2, report.FieldVariants["instruction"]["指示"]);
        Assert.Equal(1, report.FieldVariants["instruction"]["指令"]);
        Assert.Equal(1, report.FieldVariants["history"]["历史"]);
        Assert.Equal(1, report.FieldVariants["system"]["系统提示"]);

        AssertRendered(got[0].Record, Segments(null, ("user", expected[0].Turns[0].Content), ("assistant", expected[0].Turns[1].Content)));
        AssertRendered(got[1].Record, Segments(null, ("user", "Translate to English\n小猫很开心。"), ("assistant", "The kitten is happy.")));
        AssertRendered(got[2].Record, Segments("You are a helpful assistant.",
            ("user", "Who is Tom?"), ("assistant", "Tom is a boy."), ("user", "Answer the question"), ("assistant", "Tom went to the park.")));

        // mask_history: only the last answer is trained; train_on_prompt: everything.
        var last = Preparer(dir, "mixed_alpaca", render: new RenderOptions(256, MaskHistory: true)).Preview(3).Last().Record;
        var segs = Segments("You are a helpful assistant.", ("user", "Who is Tom?"), ("assistant", "Tom is a boy."), ("user", "Answer the question"), ("assistant", "Tom went to the park."));
        segs[3] = (segs[3].Text, false); // [system, user, header, first answer, ...]
        AssertRendered(last, segs);
        var all = Preparer(dir, "mixed_alpaca", render: new RenderOptions(256, TrainOnPrompt: true)).Preview(1).Single().Record!;
        Assert.All(all.LossMask!, Assert.True);
    }

    [Fact]
    public void ShareGptWithToolCalls_KeepsRolesAndTrainsOnCallsNotResults()
    {
        var dir = CopyFixtures();
        var report = new DataReport();
        var got = Preparer(dir, "tools_chat").Preview(10, report).ToList();
        const string call = "{\"name\": \"calculator\", \"arguments\": {\"expression\": \"12*7\"}}";
        const string tools = "[{\"name\": \"calculator\", \"description\": \"Evaluates arithmetic\", \"parameters\": {\"type\": \"object\", \"properties\": {\"expression\": {\"type\": \"string\"}}}}]";
        UnifiedExample[] expected =
        [
            new()
            {
                System = "You can use tools.", Tools = tools,
                Turns = [new(Role.User, "What is 12 times 7?"), new(Role.FunctionCall, call), new(Role.Observation, "{\"result\": 84}"), new(Role.Assistant, "12 times 7 is 84.")],
            },
            new() { Turns = [new(Role.User, "Hi there"), new(Role.Assistant, "Hello! How can I help?"), new(Role.User, "Tell me a fact."), new(Role.Assistant, "Cats sleep a lot.")] },
        ];
        Assert.Equal(expected.Select(Json), got.Select(g => Json(g.Example)));
        Assert.Equal(1, report.Dropped[DropReasons.InvalidRoleOrder]);
        // The ChatML template renders a call as an assistant <tool_call> block and a result as a "tool" message.
        AssertRendered(got[0].Record, Segments("You can use tools.",
            ("user", "What is 12 times 7?"), ("assistant", "<tool_call>\n" + call + "\n</tool_call>"), ("tool", "{\"result\": 84}"), ("assistant", "12 times 7 is 84.")));
        AssertRendered(got[1].Record, Segments(null, ("user", "Hi there"), ("assistant", "Hello! How can I help?"), ("user", "Tell me a fact."), ("assistant", "Cats sleep a lot.")));
    }

    [Fact]
    public void RankingFile_GivesPromptChosenRejected()
    {
        var dir = CopyFixtures();
        var report = new DataReport();
        var got = Preparer(dir, "ranking", stage: "dpo").Preview(10, report).ToList();
        UnifiedExample[] expected =
        [
            new() { Turns = [new(Role.User, "Answer the question\nWhat color is the sky?")], Chosen = [new(Role.Assistant, "The sky is blue.")], Rejected = [new(Role.Assistant, "The sky is green.")] },
            new() { Turns = [new(Role.User, "Say hello")], Chosen = [new(Role.Assistant, "Hello!")], Rejected = [new(Role.Assistant, "Go away.")] },
        ];
        Assert.Equal(expected.Select(Json), got.Select(g => Json(g.Example)));
        Assert.Equal(1, report.Dropped[DropReasons.InvalidPreference]);
        var r = got[0].Record!;
        Assert.True(r.IsPreference);
        Assert.Equal(Qwen.Encode("<|im_start|>user\nAnswer the question\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\n", false), r.Ids);
        Assert.Equal(Qwen.Encode("The sky is blue.<|im_end|>\n", false), r.Chosen);
        Assert.Equal(Qwen.Encode("The sky is green.<|im_end|>\n", false), r.Rejected);
        // A preference stage on non-ranking data is a clear error (fail) or a counted drop (skip).
        var ex = Assert.Throws<InvalidDataException>(() => Preparer(dir, "oai", stage: "rm").Preview(1).ToList());
        Assert.Contains("needs ranking data", ex.Message);
        var skipReport = new DataReport();
        Assert.Null(Preparer(dir, "oai", stage: "rm", onError: ErrorPolicy.Skip).Preview(1, skipReport).Single().Record);
        Assert.Equal(1, skipReport.Dropped["not_preference"]);
    }

    [Fact]
    public void OpenAiCsvAndXlsx_UnifyAndRender()
    {
        var dir = CopyFixtures();
        var oai = Preparer(dir, "oai").Preview(5).Single();
        Assert.Equal(Json(new UnifiedExample { System = "Be brief.", Turns = [new(Role.User, "Name a fruit."), new(Role.Assistant, "Apple.")] }), Json(oai.Example));
        AssertRendered(oai.Record, Segments("Be brief.", ("user", "Name a fruit."), ("assistant", "Apple.")));

        var csv = Preparer(dir, "csv_alpaca").Preview(5).ToList();
        Assert.Equal(
            [
                Json(new UnifiedExample { Turns = [new(Role.User, "Explain this simply\nRain falls, then the sun shines."), new(Role.Assistant, "Rain stops; then it is sunny.")] }),
                Json(new UnifiedExample { Turns = [new(Role.User, "Give a number"), new(Role.Assistant, "Seven.")] }),
            ],
            csv.Select(c => Json(c.Example)));
        AssertRendered(csv[1].Record, Segments(null, ("user", "Give a number"), ("assistant", "Seven.")));

        File.WriteAllBytes(Path.Combine(dir, "sheet.xlsx"), TabularReaderTests.BuildXlsx(["instruction", "output", "Count to three", "One, two, three."],
            """<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>"""));
        var xlsx = Preparer(dir, "sheet.xlsx").Preview(5).Single();
        Assert.Equal(Json(new UnifiedExample { Turns = [new(Role.User, "Count to three"), new(Role.Assistant, "One, two, three.")] }), Json(xlsx.Example));
        AssertRendered(xlsx.Record, Segments(null, ("user", "Count to three"), ("assistant", "One, two, three.")));
    }

    [Fact]
    public void PlainTextPretraining_PacksDocumentsWithEosIntoBlocks()
    {
        var dir = CopyFixtures();
        var result = Preparer(dir, "docs", stage: "pt", render: new RenderOptions(16)).Run();
        var docs = File.ReadAllLines(DataFixtures.Path("prepare/docs.txt"));
        var stream = docs.SelectMany(d => Qwen.Encode(d, addSpecialTokens: true).Append(Qwen.EosId!.Value)).ToArray();
        var blocks = TokenizedShards.Read(Path.Combine(dir, "out-docs")).ToList();
        Assert.Equal(stream.Chunk(16).Select(c => c.ToArray()), blocks.Select(b => b.Ids));
        Assert.All(blocks, b => Assert.All(b.LossMask!, Assert.True));
        Assert.Equal(3, result.Report.Kept);
        Assert.Equal(stream.Length, result.Tokens);
    }

    [Fact]
    public void Run_WritesShardsThatReadBackAsTheRenderedRecords_PlusReportAndPlots()
    {
        var dir = CopyFixtures();
        var preparer = new DataPreparer(Qwen, ChatMl, new PrepareOptions
        {
            DatasetDir = dir, Datasets = ["mixed_alpaca", "tools_chat", "oai"], OutDir = Path.Combine(dir, "out"), Render = new RenderOptions(256),
            ShardBytes = 2000, // several shards
        });
        var preview = preparer.Preview(100).Select(p => p.Record!).ToList();
        var result = preparer.Run();
        var out_ = Path.Combine(dir, "out");
        var manifest = TokenizedShards.ReadManifest(out_);
        Assert.True(manifest.Shards.Count > 1);
        var read = TokenizedShards.Read(out_).ToList();
        Assert.Equal(preview.Count, read.Count);
        for (int i = 0; i < read.Count; i++)
        {
            Assert.Equal(preview[i].Ids, read[i].Ids);
            Assert.Equal(preview[i].LossMask, read[i].LossMask);
        }
        Assert.Equal(6, manifest.Examples);
        Assert.Equal(read.Sum(r => (long)r.Ids.Length), manifest.Tokens);
        Assert.Equal(5 + 3 + 1, result.Report.RecordsRead);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(out_, "report.json"))))
        {
            Assert.Equal(6, doc.RootElement.GetProperty("kept").GetInt64());
            Assert.Equal(6, doc.RootElement.GetProperty("counters").GetProperty("written_examples").GetInt64());
        }
        Assert.Contains("missing_output", File.ReadAllText(Path.Combine(out_, "report.txt")));
        foreach (var png in new[] { "length_tokens.png", "length_chars.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(out_, png))[..4]);

        // Trainer side: tokenized_path loads the same records as trainer items.
        var items = TokenizedDataset.Load(out_, "sft").Cast<RenderedExample>().ToList();
        Assert.Equal(read.Select(r => r.Ids), items.Select(r => r.Ids));
        Assert.Throws<InvalidDataException>(() => TokenizedDataset.Load(out_, "dpo"));
    }

    [Fact]
    public void ParaphraseAugmentation_IsCountedAndKeepsTheInput()
    {
        var dir = CopyFixtures();
        var result = Preparer(dir, "mixed_alpaca", paraphrase: 1.0).Run();
        // "Summarize the following text", "Translate to English" and "Answer the question" (record 3's instruction is
        // its last user turn, not its first, so it is not rephrased).
        Assert.Equal(2, result.Report.Counters["paraphrase.total"]);
        Assert.Equal(1, result.Report.Counters["paraphrase.summarize"]);
        Assert.Equal(1, result.Report.Counters["paraphrase.translate_en"]);
        var texts = TokenizedShards.Read(Path.Combine(dir, "out-mixed_alpaca")).Select(r => Qwen.Decode(r.Ids)).ToList();
        Assert.DoesNotContain("Summarize the following text\n", texts[0]);
        Assert.Contains("\nLily had a red ball. She played with it every day.<|im_end|>", texts[0]);
        Assert.DoesNotContain("Translate to English\n", texts[1]);
        Assert.Contains("English", texts[1]);
    }

    [Fact]
    public void MalformedInputs_GiveClearErrorsOrCountedSkips()
    {
        var dir = CopyFixtures();
        var ex = Assert.Throws<InvalidDataException>(() => Preparer(dir, "broken").Run());
        Assert.StartsWith("broken.jsonl:2:", ex.Message);
        Assert.False(TokenizedShards.Exists(Path.Combine(dir, "out-broken"))); // a failed run leaves no manifest behind
        var skipped = Preparer(dir, "broken", onError: ErrorPolicy.Skip).Run();
        Assert.Equal(2, skipped.Examples);
        Assert.Equal(1, skipped.Report.ReaderSkipped);
        Assert.StartsWith("broken.jsonl:2:", Assert.Single(skipped.Report.ReaderErrors));

        var wrong = Preparer(dir, "wrong_columns").Run();
        Assert.Equal(0, wrong.Examples);
        Assert.Equal(5, wrong.Report.Dropped[DropReasons.MissingInstruction]);

        var missing = Assert.Throws<FileNotFoundException>(() => Preparer(dir, "missing").Run());
        Assert.Contains("not_there.jsonl", missing.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => Preparer(dir, "no_such_set").Run());
        Assert.Contains("'no_such_set'", unknown.Message);

        ex = Assert.Throws<InvalidDataException>(() => Preparer(dir, "ragged").Run());
        Assert.StartsWith("ragged.csv:3:", ex.Message);
        var ragged = Preparer(dir, "ragged", onError: ErrorPolicy.Skip).Run();
        Assert.Equal(2, ragged.Examples);
        Assert.Equal(2, ragged.Report.ReaderSkipped);

        File.WriteAllBytes(Path.Combine(dir, "empty.xlsx"), TabularReaderTests.BuildXlsx([], ""));
        var empty = Preparer(dir, "empty.xlsx").Run();
        Assert.Equal(0, empty.Report.RecordsRead);
        Assert.Equal(0, empty.Examples);

        File.WriteAllBytes(Path.Combine(dir, "data.parquet"), "PAR1"u8.ToArray());
        var pq = Assert.Throws<NotSupportedException>(() => Preparer(dir, "parquet").Run());
        Assert.Contains("data.parquet", pq.Message);
    }

    [Fact]
    public void TemplateRefusals_AreCountedOrNamed()
    {
        var dir = CopyFixtures();
        var strict = new ChatTemplate("{% if messages | length > 2 %}{{ raise_exception('only single-turn chats') }}{% endif %}" + TrainingRun.ChatMlSource, null, null);
        PrepareOptions Options(ErrorPolicy p) => new()
        {
            DatasetDir = dir, Datasets = ["tools_chat"], OutDir = Path.Combine(dir, "out-strict"), Reader = new ReaderOptions { OnError = p }, Plots = false,
        };
        var skipped = new DataPreparer(Qwen, strict, Options(ErrorPolicy.Skip)).Run();
        Assert.Equal(0, skipped.Examples); // both valid conversations have 4+ messages
        Assert.Equal(2, skipped.Report.Dropped["render_error"]);
        Assert.Contains(skipped.Report.ReaderErrors, e => e.StartsWith("tools_chat.jsonl:1: cannot render:") && e.Contains("only single-turn chats"));
        var ex = Assert.Throws<InvalidDataException>(() => new DataPreparer(Qwen, strict, Options(ErrorPolicy.Fail)).Run());
        Assert.StartsWith("tools_chat.jsonl:1: cannot render:", ex.Message);
    }
}
