using Tokamak.Data;
using Tokamak.Data.Augmentation;
using Tokamak.Data.Output;

namespace Tokamak.Tests.Data;

public class OutputAndAugmentationTests
{
    [Fact]
    public void Jsonl_RoundTrip_AllShapes()
    {
        var examples = new[]
        {
            new UnifiedExample
            {
                System = "sys \"quoted\"\nline", Tools = """[{"name":"f"}]""",
                Turns = [new(Role.User, "q 你好"), new(Role.FunctionCall, "{}"), new(Role.Observation, "r"), new(Role.Assistant, "a")],
            },
            new UnifiedExample { Turns = [new(Role.User, "q")], Chosen = [new(Role.Assistant, "good")], Rejected = [new(Role.Assistant, "bad")] },
            new UnifiedExample { Content = "plain document\nwith two lines" },
        };
        var ms = new MemoryStream();
        Assert.Equal(3, ExampleJsonl.Write(examples, ms));
        var lines = System.Text.Encoding.UTF8.GetString(ms.ToArray()).Split('\n');
        Assert.Equal(4, lines.Length); // trailing newline
        Assert.Equal("", lines[3]);
        Assert.Equal("""{"text":"plain document\nwith two lines"}""", lines[2]);
        for (int i = 0; i < 3; i++)
        {
            var back = ExampleJsonl.Parse(lines[i]);
            Assert.Equal(examples[i].System, back.System);
            Assert.Equal(examples[i].Tools, back.Tools);
            Assert.Equal(examples[i].Content, back.Content);
            Assert.Equal(examples[i].Turns, back.Turns);
            Assert.Equal(examples[i].Chosen, back.Chosen);
            Assert.Equal(examples[i].Rejected, back.Rejected);
        }
        Assert.Throws<InvalidDataException>(() => ExampleJsonl.Parse("""{"messages":[{"role":"wizard","content":"x"}]}"""));
    }

    [Fact]
    public void SystemPromptShuffler_ReplacesAboutTheRequestedShare()
    {
        string[] pool = ["You are helpful.", "You are a helpful assistant.", "Be helpful."];
        var input = Enumerable.Range(0, 1000).Select(i => new UnifiedExample { System = "orig", Turns = [new(Role.User, $"q{i}"), new(Role.Assistant, "a")] }).ToList();
        var output = new SystemPromptShuffler(pool, 0.3, seed: 1).ApplyAll(input).ToList();
        int replaced = output.Count(e => e.System != "orig");
        Assert.InRange(replaced, 250, 350); // binomial(1000, 0.3): mean 300, sd ≈ 14.5
        Assert.All(output.Where(e => e.System != "orig"), e => Assert.Contains(e.System, pool));
        Assert.All(input, e => Assert.Equal("orig", e.System)); // inputs untouched
        Assert.Equal(input.Select(e => e.Turns), output.Select(e => e.Turns));

        Assert.All(new SystemPromptShuffler(pool, 0).ApplyAll(input), e => Assert.Equal("orig", e.System));
        var doc = new UnifiedExample { Content = "text" };
        Assert.Same(doc, new SystemPromptShuffler(pool, 1).Apply(doc));
        Assert.Throws<ArgumentException>(() => new SystemPromptShuffler([], 0.5));
    }
}
