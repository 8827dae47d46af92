using System.Text.Json.Nodes;
using Tokamak.Data;
using Tokamak.Data.Formats;

namespace Tokamak.Tests.Data;

public class ConversionTests
{
    private static RawRecord Rec(string json) => new("t.json", 1, JsonNode.Parse(json)!.AsObject());

    private static (UnifiedExample? Example, DataReport Report) Convert(DatasetInfo info, string json, FieldAliases? aliases = null)
    {
        var report = new DataReport();
        var e = new ExampleConverter(info, report, aliases).Convert(Rec(json));
        return (e, report);
    }

    private static string Dropped(DatasetInfo info, string json)
    {
        var (e, report) = Convert(info, json);
        Assert.Null(e);
        return report.Dropped.Single().Key;
    }

    private static readonly DatasetInfo Alpaca = new() { Name = "a", FileName = "a.json", Columns = new DatasetColumns { History = "history", System = "system" } };

    [Fact]
    public void Alpaca_HistoryInputAndSystem()
    {
        var (e, report) = Convert(Alpaca, """
            {"instruction": "Translate", "input": "cat", "output": "Katze", "system": "You translate.",
             "history": [["hi", "hello"], ["who?", "a bot"]]}
            """);
        Assert.NotNull(e);
        Assert.Equal("You translate.", e.System);
        Assert.Equal([
            new Turn(Role.User, "hi"), new Turn(Role.Assistant, "hello"),
            new Turn(Role.User, "who?"), new Turn(Role.Assistant, "a bot"),
            new Turn(Role.User, "Translate\ncat"), new Turn(Role.Assistant, "Katze")], e.Turns);
        Assert.Equal("t.json:1", e.Origin);
        Assert.Null(e.Chosen);
        Assert.Equal(1, report.Stage(ExampleConverter.StageName).Kept);
    }

    [Fact]
    public void Alpaca_EmptyInput_NoNewline()
    {
        var (e, _) = Convert(Alpaca, """{"instruction": "Say hi", "input": "", "output": "Hi!"}""");
        Assert.Equal([new Turn(Role.User, "Say hi"), new Turn(Role.Assistant, "Hi!")], e!.Turns);
        Assert.Null(e.System);
    }

    [Fact]
    public void Alpaca_HistoryIgnoredUnlessColumnConfigured()
    {
        var info = Alpaca with { Columns = new DatasetColumns() };
        var (e, _) = Convert(info, """{"instruction": "q", "output": "a", "history": [["x", "y"]]}""");
        Assert.Equal(2, e!.Turns.Count);
    }

    [Theory]
    [InlineData("""{"input": "x", "output": "y"}""", DropReasons.MissingInstruction)]
    [InlineData("""{"instruction": "  ", "output": "y"}""", DropReasons.MissingInstruction)]
    [InlineData("""{"instruction": 5, "output": "y"}""", DropReasons.MissingInstruction)]
    [InlineData("""{"instruction": "x"}""", DropReasons.MissingOutput)]
    [InlineData("""{"instruction": "x", "output": ""}""", DropReasons.MissingOutput)]
    [InlineData("""{"instruction": "x", "output": ["y"]}""", DropReasons.MissingOutput)]
    [InlineData("""{"instruction": "x", "input": {"a": 1}, "output": "y"}""", DropReasons.InvalidInput)]
    [InlineData("""{"instruction": "x", "output": "y", "history": [["only one"]]}""", DropReasons.InvalidHistory)]
    [InlineData("""{"instruction": "x", "output": "y", "history": [["a", 2]]}""", DropReasons.InvalidHistory)]
    [InlineData("""{"instruction": "x", "output": "y", "history": "a"}""", DropReasons.InvalidHistory)]
    [InlineData("""{"instruction": "x", "output": "y", "system": 1}""", DropReasons.InvalidSystem)]
    public void Alpaca_InvalidRecords_DroppedWithReason(string json, string reason) => Assert.Equal(reason, Dropped(Alpaca, json));

    [Fact]
    public void Alpaca_Ranking()
    {
        var info = Alpaca with { Ranking = true };
        var (e, _) = Convert(info, """{"instruction": "What is AI?", "input": "", "chosen": "Artificial intelligence.", "rejected": "No idea."}""");
        Assert.Equal([new Turn(Role.User, "What is AI?")], e!.Turns);
        Assert.Equal([new Turn(Role.Assistant, "Artificial intelligence.")], e.Chosen);
        Assert.Equal([new Turn(Role.Assistant, "No idea.")], e.Rejected);
        Assert.Equal(DropReasons.InvalidPreference, Dropped(info, """{"instruction": "q", "chosen": "a"}"""));
    }

    [Fact]
    public void Aliases_UsedAndCountedPerVariant()
    {
        var info = new DatasetInfo { Name = "zh", FileName = "zh.json" };
        var report = new DataReport();
        var conv = new ExampleConverter(info, report, FieldAliases.ChineseAlpaca);
        var examples = new[]
        {
            """{"instruction": "a", "output": "b"}""",
            """{"指令": "翻译", "输入": "猫", "输出": "cat"}""",
            """{"指示": "c", "output": "d"}""",
            """{"指示": "e", "回答": "f"}""",
            """{"other": "x"}""",
        }.Select(j => conv.Convert(Rec(j))).ToList();
        Assert.Equal([new Turn(Role.User, "翻译\n猫"), new Turn(Role.Assistant, "cat")], examples[1]!.Turns);
        Assert.Equal("f", examples[3]!.Turns[^1].Content);
        Assert.Null(examples[4]);
        Assert.Equal(new Dictionary<string, long> { ["instruction"] = 1, ["指令"] = 1, ["指示"] = 2 }, report.FieldVariants["instruction"]);
        Assert.Equal(new Dictionary<string, long> { ["output"] = 2, ["输出"] = 1, ["回答"] = 1 }, report.FieldVariants["output"]);
        Assert.Equal(new Dictionary<string, long> { ["输入"] = 1 }, report.FieldVariants["input"]);
        Assert.Equal(1, report.Dropped[DropReasons.MissingInstruction]);
    }

    private static readonly DatasetInfo ShareGpt = new() { Name = "s", FileName = "s.jsonl", Formatting = DatasetFormat.ShareGpt, Columns = new DatasetColumns { System = "system", Tools = "tools" } };

    [Fact]
    public void ShareGpt_LeadingSystemFunctionCallAndObservation()
    {
        var (e, _) = Convert(ShareGpt, """
            {"conversations": [
               {"from": "system", "value": "sys"},
               {"from": "human", "value": "weather in Paris?"},
               {"from": "function_call", "value": "{\"name\": \"weather\"}"},
               {"from": "observation", "value": "sunny"},
               {"from": "gpt", "value": "It is sunny."}],
             "system": "ignored because the first message is a system message",
             "tools": [{"name": "weather"}]}
            """);
        Assert.Equal("sys", e!.System);
        Assert.Equal("""[{"name":"weather"}]""", e.Tools);
        Assert.Equal([
            new Turn(Role.User, "weather in Paris?"), new Turn(Role.FunctionCall, "{\"name\": \"weather\"}"),
            new Turn(Role.Observation, "sunny"), new Turn(Role.Assistant, "It is sunny.")], e.Turns);
    }

    [Fact]
    public void ShareGpt_SystemColumnUsedWithoutSystemMessage()
    {
        var (e, _) = Convert(ShareGpt, """{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "system": "be brief", "tools": "[]"}""");
        Assert.Equal("be brief", e!.System);
        Assert.Equal("[]", e.Tools);
    }

    [Theory]
    [InlineData("""{"conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]}""", DropReasons.InvalidRoleOrder)]
    [InlineData("""{"conversations": [{"from": "human", "value": "q"}, {"from": "human", "value": "q2"}]}""", DropReasons.InvalidRoleOrder)]
    [InlineData("""{"conversations": [{"from": "human", "value": "q"}, {"from": "robot", "value": "a"}]}""", DropReasons.InvalidRoleOrder)]
    [InlineData("""{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}, {"from": "human", "value": "q2"}]}""", DropReasons.InvalidMessageCount)]
    [InlineData("""{"conversations": [{"from": "system", "value": "s"}]}""", DropReasons.InvalidMessageCount)]
    [InlineData("""{"conversations": []}""", DropReasons.InvalidMessages)]
    [InlineData("""{"messages": []}""", DropReasons.InvalidMessages)]
    [InlineData("""{"conversations": [{"from": "human", "value": 3}, {"from": "gpt", "value": "a"}]}""", DropReasons.InvalidMessages)]
    [InlineData("""{"conversations": ["hello"]}""", DropReasons.InvalidMessages)]
    public void ShareGpt_InvalidRecords_DroppedWithReason(string json, string reason) => Assert.Equal(reason, Dropped(ShareGpt, json));

    [Fact]
    public void ShareGpt_Ranking()
    {
        var info = ShareGpt with { Ranking = true };
        var (e, _) = Convert(info, """
            {"conversations": [{"from": "human", "value": "q"}],
             "chosen": {"from": "gpt", "value": "good"}, "rejected": {"from": "gpt", "value": "bad"}}
            """);
        Assert.Equal([new Turn(Role.User, "q")], e!.Turns);
        Assert.Equal([new Turn(Role.Assistant, "good")], e.Chosen);
        Assert.Equal([new Turn(Role.Assistant, "bad")], e.Rejected);
        Assert.Equal(DropReasons.InvalidPreference, Dropped(info, """{"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "human", "value": "x"}, "rejected": {"from": "gpt", "value": "y"}}"""));
        Assert.Equal(DropReasons.InvalidMessageCount, Dropped(info, """{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "chosen": {"from": "gpt", "value": "x"}, "rejected": {"from": "gpt", "value": "y"}}"""));
    }

    [Fact]
    public void OpenAi_FixtureFile()
    {
        var reg = DatasetRegistry.Load(DataFixtures.Path("dataset_info.json"));
        var report = new DataReport();
        var examples = new DataPipeline([]).ProcessDataset(reg["oai"], DataFixtures.Dir, report).ToList();
        Assert.Equal(2, examples.Count);
        Assert.Equal("You are terse.", examples[0].System);
        Assert.Equal([new Turn(Role.User, "weather?"), new Turn(Role.Assistant, "sunny")], examples[0].Turns);
        Assert.Equal([
            new Turn(Role.User, "call tool"), new Turn(Role.FunctionCall, "{\"name\":\"t\"}"),
            new Turn(Role.Observation, "done"), new Turn(Role.Assistant, "finished")], examples[1].Turns);
        Assert.Equal("openai.jsonl:2", examples[1].Origin);
    }

    [Fact]
    public void Pretraining_TextColumnOrExplicitPrompt()
    {
        var report = new DataReport();
        var info = new DatasetInfo { Name = "pt", FileName = "p.txt" };
        var conv = new ExampleConverter(info, report, kind: ExampleKind.Pretraining);
        Assert.Equal("a document", conv.Convert(Rec("""{"text": "a document"}"""))!.Content);
        Assert.Null(conv.Convert(Rec("""{"text": ""}""")));
        Assert.Equal(1, report.Dropped[DropReasons.MissingText]);
        var explicitInfo = info with { Columns = new DatasetColumns { Prompt = "body", PromptExplicit = true } };
        Assert.Equal("b", new ExampleConverter(explicitInfo, report, kind: ExampleKind.Pretraining).Convert(Rec("""{"body": "b", "text": "t"}"""))!.Content);
    }
}
