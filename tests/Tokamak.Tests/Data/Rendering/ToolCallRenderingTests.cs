using Tokamak.Data;
using Tokamak.Data.Filters;
using Tokamak.Data.Formats;
using Tokamak.Data.Rendering;
using Tokamak.Data.Synthetic;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Data.Rendering;

/// <summary>
/// The corpus's calculator examples, read through the data pipeline and rendered with the corpus's own tokenizer and
/// ChatML/Hermes template: the tool call must come out as a trained <c>&lt;tool_call&gt;</c> block.
/// </summary>
public sealed class ToolCallRenderingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"tokamak-toolcorpus-{Guid.NewGuid():N}");
    private readonly HfTokenizer _tok;
    private readonly ChatTemplate _template;
    private readonly List<UnifiedExample> _toolExamples;

    public ToolCallRenderingTests()
    {
        CorpusWriter.Write(_dir, new CorpusOptions
        {
            Seed = 3, Stories = 200, Questions = 300, Chats = 20, StoryChats = 5, ToolCalls = 30, EvalQuestionsPerTask = 5, EvalStories = 5,
            TokenizerVocabSize = 600,
        });
        _tok = HfTokenizer.FromDirectory(Path.Combine(_dir, "tokenizer"));
        _template = ChatTemplate.FromTokenizerConfig(Path.Combine(_dir, "tokenizer", "tokenizer_config.json"));
        var info = DatasetRegistry.Load(Path.Combine(_dir, "dataset_info.json"))["tokamak_chat"];
        _toolExamples = new DataPipeline([]).ProcessDataset(info, _dir, new DataReport())
            .Where(e => e.Turns.Any(t => t.Role == Role.FunctionCall)).ToList();
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ToolCallTurns_RenderAsTrainedToolCallBlocks_AndObservationsAreNotTrained()
    {
        Assert.NotEmpty(_toolExamples);
        var renderer = new ConversationRenderer(_template, _tok, new RenderOptions(CutoffLen: 1024));
        int open = _tok.PieceToId("<tool_call>")!.Value, close = _tok.PieceToId("</tool_call>")!.Value, imEnd = _tok.PieceToId("<|im_end|>")!.Value;
        foreach (var e in _toolExamples)
        {
            var r = renderer.RenderSupervised(e);
            string text = _tok.Decode(r.Ids, skipSpecialTokens: false);
            var call = e.Turns.First(t => t.Role == Role.FunctionCall);
            string name = System.Text.Json.Nodes.JsonNode.Parse(call.Content)!["name"]!.GetValue<string>();
            Assert.Contains("# Tools\n<tools>", text); // the example's tools reached the template
            Assert.Contains($"<tool_call>\n{{\"name\": \"{name}\", \"arguments\": ", text);
            // After the system turn (whose tool instructions quote "<tool_call>" once), every <tool_call> and
            // </tool_call> token is a target; the tool's answer (inside <tool_response>) is not.
            int afterSystem = Array.IndexOf(r.Ids, imEnd) + 1;
            Assert.DoesNotContain(true, r.LossMask[..afterSystem]);
            int[] opens = Enumerable.Range(afterSystem, r.Ids.Length - afterSystem).Where(i => r.Ids[i] == open).ToArray();
            Assert.Equal(e.Turns.Count(t => t.Role == Role.FunctionCall), opens.Length);
            Assert.All(opens, i => Assert.True(r.LossMask[i]));
            Assert.All(Enumerable.Range(afterSystem, r.Ids.Length - afterSystem).Where(i => r.Ids[i] == close), i => Assert.True(r.LossMask[i]));
            string trained = _tok.Decode(r.Ids.Where((_, i) => r.LossMask[i]).ToArray(), skipSpecialTokens: false);
            var observation = e.Turns.First(t => t.Role == Role.Observation).Content;
            Assert.DoesNotContain("<tool_response>", trained);
            Assert.DoesNotContain(observation, trained);
            Assert.Contains("\"arguments\": ", trained);
        }
    }

    [Fact]
    public void FunctionCallTurn_BecomesAnOpenAiShapedToolCall()
    {
        var m = ConversationRenderer.Messages(null, [new Turn(Role.FunctionCall, "{\"name\":\"calculator\",\"arguments\":{\"expression\":\"2 + 3\"}}"), new Turn(Role.Observation, "{\"result\":5}")]);
        Assert.Equal("assistant", m[0]!["role"]!.GetValue<string>());
        var call = m[0]!["tool_calls"]![0]!;
        Assert.Equal("function", call["type"]!.GetValue<string>());
        Assert.Equal("calculator", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("2 + 3", call["function"]!["arguments"]!["expression"]!.GetValue<string>());
        Assert.Equal("tool", m[1]!["role"]!.GetValue<string>());
    }

    [Fact]
    public void MalformedFunctionCallOrTools_AreClearErrors()
    {
        Assert.Throws<InvalidDataException>(() => ConversationRenderer.Messages(null, [new Turn(Role.FunctionCall, "calculator(2+3)")]));
        Assert.Throws<InvalidDataException>(() => ConversationRenderer.Messages(null, [new Turn(Role.FunctionCall, "{\"arguments\":{}}")]));
        Assert.Throws<InvalidDataException>(() => ConversationRenderer.Tools(new UnifiedExample { Tools = "[{oops" }));
    }
}
