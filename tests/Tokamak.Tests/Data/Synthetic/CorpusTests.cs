using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tokamak.Data;
using Tokamak.Data.Formats;
using Tokamak.Data.Synthetic;

namespace Tokamak.Tests.Data.Synthetic;

/// <summary>Writes one small corpus (without a tokenizer) shared by the tests of this class.</summary>
public sealed class SmallCorpus : IDisposable
{
    public static readonly CorpusOptions Options = new()
    {
        Seed = 5, Stories = 300, Questions = 1500, Chats = 60, StoryChats = 10, ToolCalls = 40, EvalQuestionsPerTask = 20, EvalStories = 30,
        TokenizerVocabSize = 0,
    };

    public SmallCorpus()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"tokamak-corpus-{Guid.NewGuid():N}");
        Summary = CorpusWriter.Write(Directory, Options);
    }

    public string Directory { get; }
    public CorpusSummary Summary { get; }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public class CorpusTests(SmallCorpus corpus) : IClassFixture<SmallCorpus>
{
    private string PathOf(string name) => Path.Combine(corpus.Directory, name);

    private static IEnumerable<JsonObject> JsonLines(string path) => File.ReadLines(path).Select(l => JsonNode.Parse(l)!.AsObject());

    private static JsonArray JsonArrayFile(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsArray();

    [Fact]
    public void SameSeed_SameCorpus_OtherSeed_OtherCorpus()
    {
        var a = TrainingSet.Generate(SmallCorpus.Options with { Stories = 50, Questions = 100 });
        var b = TrainingSet.Generate(SmallCorpus.Options with { Stories = 50, Questions = 100 });
        var c = TrainingSet.Generate(SmallCorpus.Options with { Stories = 50, Questions = 100, Seed = 6 });
        Assert.Equal(a.Stories, b.Stories);
        Assert.Equal(a.Questions.Select(q => q.ToJsonString()), b.Questions.Select(q => q.ToJsonString()));
        Assert.Equal(a.Chats.Select(q => q.ToJsonString()), b.Chats.Select(q => q.ToJsonString()));
        Assert.NotEqual(a.Stories, c.Stories);
    }

    [Fact]
    public void HeldOutSplit_DoesNotDependOnTheTrainingSeed()
    {
        var a = HeldOutSet.Generate(0.15, 10, 5);
        var b = HeldOutSet.Generate(0.15, 10, 5);
        Assert.Equal(a.Questions, b.Questions);
        Assert.Equal(a.Stories, b.Stories);
        Assert.All(a.Questions, q => Assert.True(HeldOutSplit.IsHeldOut(q.Question)));
    }

    [Fact]
    public void NoHeldOutQuestionOrStory_AppearsInTraining()
    {
        var heldQuestions = JsonLines(PathOf(CorpusWriter.HeldOutQuestionsFile)).Select(o => (string)o["question"]!).ToHashSet();
        var heldStories = JsonLines(PathOf(CorpusWriter.HeldOutStoriesFile)).Select(o => (string)o["text"]!).ToHashSet();
        Assert.Equal(corpus.Summary.EvalQuestions, heldQuestions.Count); // distinct
        Assert.Equal(SmallCorpus.Options.EvalStories, heldStories.Count);

        var trainingTexts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "qa_sft.json", "chat_sft.json" })
            foreach (var record in JsonArrayFile(PathOf(file)))
                foreach (var m in record!["conversations"]!.AsArray())
                    trainingTexts.Add((string)m!["value"]!);
        foreach (var s in JsonLines(PathOf("stories.jsonl"))) trainingTexts.Add((string)s["text"]!);

        Assert.DoesNotContain(heldQuestions, trainingTexts.Contains);
        Assert.DoesNotContain(heldStories, trainingTexts.Contains);
        // The split is real: training does contain questions of every task, just not the held-out ones.
        Assert.True(trainingTexts.Count > 1000);
    }

    [Fact]
    public void HeldOut_CoversEveryTask_WithCorrectAnswers()
    {
        var items = JsonLines(PathOf(CorpusWriter.HeldOutQuestionsFile)).ToList();
        Assert.Equal(QaTasks.All.Select(t => t.Name), items.Select(i => (string)i["task"]!).Distinct());
        foreach (var i in items.Where(i => (string)i["task"]! == "add_1digit"))
        {
            var n = Regex.Matches((string)i["question"]!, @"\d+").Select(m => int.Parse(m.Value)).ToArray();
            Assert.Equal((n[0] + n[1]).ToString(), (string)i["answer"]!);
        }
    }

    [Fact]
    public void DatasetInfo_LoadsThroughTheDataPipeline_WithoutDrops()
    {
        var registry = DatasetRegistry.Load(PathOf("dataset_info.json"));
        Assert.Equal([CorpusWriter.StoriesDataset, CorpusWriter.QaDataset, CorpusWriter.ChatDataset], registry.Datasets.Keys);
        var pipeline = new DataPipeline([]);

        var report = new DataReport();
        var stories = pipeline.ProcessDataset(registry[CorpusWriter.StoriesDataset], corpus.Directory, report, kind: ExampleKind.Pretraining).ToList();
        Assert.Equal(SmallCorpus.Options.Stories, stories.Count);
        Assert.Equal(JsonLines(PathOf("stories.jsonl")).Select(o => (string)o["text"]!), stories.Select(s => s.Content));

        report = new DataReport();
        var qa = pipeline.ProcessDataset(registry[CorpusWriter.QaDataset], corpus.Directory, report).ToList();
        Assert.Equal(SmallCorpus.Options.Questions, qa.Count);
        Assert.Empty(report.Dropped);

        report = new DataReport();
        var chats = pipeline.ProcessDataset(registry[CorpusWriter.ChatDataset], corpus.Directory, report).ToList();
        Assert.Equal(corpus.Summary.Chats, chats.Count);
        Assert.Empty(report.Dropped);
        var tool = chats.First(c => c.Turns.Any(t => t.Role == Role.FunctionCall));
        Assert.Equal([Role.User, Role.FunctionCall, Role.Observation, Role.Assistant], tool.Turns.Take(4).Select(t => t.Role));
        Assert.Contains("\"calculator\"", tool.Tools);
    }

    [Fact]
    public void ToolCalls_ObservationIsTheTrueResult_AndTheAnswerQuotesIt()
    {
        int seen = 0;
        foreach (var record in JsonArrayFile(PathOf("chat_sft.json")))
        {
            var turns = record!["conversations"]!.AsArray();
            if ((string)turns[1]!["from"]! != "function_call") continue;
            seen++;
            using var call = JsonDocument.Parse((string)turns[1]!["value"]!);
            Assert.Equal("calculator", call.RootElement.GetProperty("name").GetString());
            string expr = call.RootElement.GetProperty("arguments").GetProperty("expression").GetString()!;
            // Independent evaluation: System.Data's expression engine; division is exact by construction.
            long expected = Convert.ToInt64(new System.Data.DataTable().Compute(expr, null));
            using var obs = JsonDocument.Parse((string)turns[2]!["value"]!);
            Assert.Equal(expected, obs.RootElement.GetProperty("result").GetInt64());
            Assert.Equal($"{expr} = {expected}.", (string)turns[3]!["value"]!);
            using var tools = JsonDocument.Parse((string)record["tools"]!);
            Assert.Equal("calculator", tools.RootElement[0].GetProperty("name").GetString());
        }
        Assert.Equal(SmallCorpus.Options.ToolCalls, seen);
    }

    [Fact]
    public void Stories_NameOnlyTheirTwoCharacters_AndEndWithAFullStop()
    {
        var names = StoryLexicon.SheNames.Concat(StoryLexicon.HeNames).ToArray();
        foreach (var s in JsonLines(PathOf("stories.jsonl")).Select(o => (string)o["text"]!))
        {
            var mentioned = names.Where(n => Regex.IsMatch(s, $@"\b{n}\b")).ToList();
            Assert.InRange(mentioned.Count, 1, 2);
            Assert.Matches(@"[.!""]$", s);
            // The hero is named in the first sentence and again later.
            string hero = mentioned.OrderBy(n => s.IndexOf(n, StringComparison.Ordinal)).First();
            Assert.True(Regex.Matches(s, $@"\b{hero}\b").Count >= 2, s);
        }
    }

    [Fact]
    public void Stories_UseOnePronounPerCharacter()
    {
        // A story whose two characters are both girls must never say he/his/him, and one with two boys never she/her:
        // any such word would be a pronoun pointing at the wrong character.
        var she = StoryLexicon.SheNames.ToHashSet();
        var he = StoryLexicon.HeNames.ToHashSet();
        var rng = new SyntheticRandom(11);
        int checkedStories = 0;
        for (int i = 0; i < 500; i++)
        {
            string s = StoryGenerator.Generate(rng);
            var mentioned = she.Concat(he).Where(n => Regex.IsMatch(s, $@"\b{n}\b")).ToList();
            if (mentioned.Count == 2 && mentioned.All(she.Contains))
            {
                Assert.DoesNotMatch(@"\b[Hh](e|is|im)\b", s);
                checkedStories++;
            }
            if (mentioned.Count == 2 && mentioned.All(he.Contains))
            {
                Assert.DoesNotMatch(@"\b[Ss]he\b|\b[Hh]er\b", s);
                checkedStories++;
            }
        }
        Assert.True(checkedStories > 50);
    }

    [Fact]
    public void BadOptions_AreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => CorpusWriter.Write(Path.GetTempPath(), new CorpusOptions { Stories = -1 }));
        Assert.Contains("stories", e.Message);
        e = Assert.Throws<ArgumentException>(() => TrainingSet.Generate(new CorpusOptions { HeldOutFraction = 1.5 }));
        Assert.Contains("held-out fraction", e.Message);
    }
}
