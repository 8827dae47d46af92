using Tokamak.Data;
using Tokamak.Data.Rendering;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Tests.Data.Rendering;

public class ConversationRendererTests
{
    internal const string ChatMl =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    internal static readonly HfTokenizer Tok = HfTokenizer.FromDirectory(TestPaths.Model("tinystories-656k"));
    internal static readonly ChatTemplate Template = new(ChatMl, "<s>", "</s>");

    private static readonly UnifiedExample Chat = new()
    {
        System = "Be kind.",
        Turns =
        [
            new(Role.User, "Who is Lily?"), new(Role.Assistant, "Lily is a girl who likes cats."),
            new(Role.User, "What did she do?"), new(Role.Assistant, "She played in the park with Tom."),
        ],
    };

    private static string Masked(RenderedExample r, bool value) =>
        Tok.Decode(r.Ids.Where((_, i) => r.LossMask[i] == value).ToArray());

    [Fact]
    public void IdsAreTheWholeRenderingAndTheMaskCoversAssistantTurns()
    {
        var r = new ConversationRenderer(Template, Tok).RenderSupervised(Chat);
        var full = Template.Render(ConversationRenderer.Messages(Chat.System, Chat.Turns), addGenerationPrompt: false);
        Assert.Equal(Tok.Encode(full, addSpecialTokens: false), r.Ids);
        string trained = Masked(r, true), untrained = Masked(r, false);
        Assert.Contains("Lily is a girl who likes cats.", trained);
        Assert.Contains("She played in the park with Tom.", trained);
        Assert.DoesNotContain("Who is Lily", trained);
        Assert.DoesNotContain("Be kind", trained);
        Assert.Contains("What did she do?", untrained);
        Assert.DoesNotContain("cats", untrained);
        // Each trained run starts right after an assistant header and ends with the turn terminator.
        Assert.EndsWith("<|im_end|>\n", Tok.Decode(r.Ids[..(Array.LastIndexOf(r.LossMask, true) + 1)]));
    }

    [Fact]
    public void MaskHistoryTrainsOnlyTheLastAnswerAndTrainOnPromptTrainsEverything()
    {
        var last = new ConversationRenderer(Template, Tok, new RenderOptions(MaskHistory: true)).RenderSupervised(Chat);
        Assert.DoesNotContain("cats", Masked(last, true));
        Assert.Contains("park with Tom", Masked(last, true));
        var all = new ConversationRenderer(Template, Tok, new RenderOptions(TrainOnPrompt: true)).RenderSupervised(Chat);
        Assert.All(all.LossMask, Assert.True);
    }

    [Fact]
    public void CutoffDropsTheOldestExchangeFirst()
    {
        var whole = new ConversationRenderer(Template, Tok).RenderSupervised(Chat);
        var cut = new ConversationRenderer(Template, Tok, new RenderOptions(CutoffLen: whole.Ids.Length - 1)).RenderSupervised(Chat);
        Assert.True(cut.Ids.Length < whole.Ids.Length);
        string text = Tok.Decode(cut.Ids);
        Assert.DoesNotContain("Who is Lily", text);
        Assert.Contains("Be kind.", text);
        Assert.Contains("park with Tom", Masked(cut, true));
        var tiny = new ConversationRenderer(Template, Tok, new RenderOptions(CutoffLen: 5)).RenderSupervised(Chat);
        Assert.Equal(5, tiny.Ids.Length);
    }

    [Fact]
    public void PreferenceSplitsPromptAndResponses()
    {
        var ex = new UnifiedExample
        {
            Turns = [new(Role.User, "Tell me a story.")],
            Chosen = [new(Role.Assistant, "Once upon a time a dog ran.")],
            Rejected = [new(Role.Assistant, "No.")],
        };
        var (prompt, chosen, rejected) = new ConversationRenderer(Template, Tok).RenderPreference(ex);
        Assert.EndsWith("<|im_start|>assistant\n", Tok.Decode(prompt));
        Assert.Equal(Tok.Encode(Template.Render(ConversationRenderer.Messages(null, [.. ex.Turns, .. ex.Chosen]), false), false), prompt.Concat(chosen).ToArray());
        Assert.StartsWith("Once upon a time", Tok.Decode(chosen));
        Assert.StartsWith("No.", Tok.Decode(rejected));
    }
}
