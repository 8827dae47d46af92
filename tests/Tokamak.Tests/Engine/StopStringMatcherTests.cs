using Tokamak.Engine;

namespace Tokamak.Tests.Engine;

public class StopStringMatcherTests
{
    /// <summary>Expected output computed directly: the text up to the first occurrence of any stop string.</summary>
    private static string Naive(string text, string[] stops)
    {
        int cut = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(text.Length).Min();
        return text[..cut];
    }

    [Theory]
    [InlineData("Hello world. The end. More", new[] { "The end" })]
    [InlineData("abcabcabd", new[] { "abd" })]
    [InlineData("no stop here", new[] { "xyz" })]
    [InlineData("a\n\nb", new[] { "\n\n", "b" })]
    [InlineData("stop at start", new[] { "stop" })]
    [InlineData("partial sto", new[] { "stop" })]
    public void AnyChunkingGivesTheNaiveResult(string text, string[] stops)
    {
        var rng = new Random(text.Length);
        for (int trial = 0; trial < 50; trial++)
        {
            var m = new StopStringMatcher(stops);
            var output = new System.Text.StringBuilder();
            int pos = 0;
            while (pos < text.Length)
            {
                int len = Math.Min(text.Length - pos, rng.Next(1, 5));
                output.Append(m.Push(text.Substring(pos, len)));
                pos += len;
            }
            output.Append(m.Flush());
            Assert.Equal(Naive(text, stops), output.ToString());
            Assert.Equal(text != Naive(text, stops), m.Stopped);
        }
    }

    [Fact]
    public void HoldsBackOnlyPossibleStopPrefixes()
    {
        var m = new StopStringMatcher(["END"]);
        Assert.Equal("abc", m.Push("abcE"));
        Assert.Equal("Ex", m.Push("x"));
    }
}
