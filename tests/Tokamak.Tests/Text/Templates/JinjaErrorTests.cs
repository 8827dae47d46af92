using System.Text.Json.Nodes;
using Tokamak.Text.Templates;

namespace Tokamak.Tests.Text.Templates;

/// <summary>Malformed templates and runtime failures give a <see cref="TemplateException"/> with a position, never a hang or crash.</summary>
public class JinjaErrorTests
{
    private static TemplateException ParseError(string template) =>
        Assert.Throws<TemplateException>(() => new JinjaTemplate(template));

    private static TemplateException RenderError(string template, string context = "{}") =>
        Assert.Throws<TemplateException>(() => JinjaLanguageTests.Render(template, context));

    [Fact]
    public void UnclosedBlockNamesTheOpeningTag()
    {
        var e = ParseError("line1\n{% if x %}\nabc");
        Assert.Contains("unclosed 'if' block opened at line 2, column 1", e.Message);
        Assert.True(e.Line > 0);
    }

    [Fact]
    public void UnclosedForWithElse() =>
        Assert.Contains("unclosed 'for'", ParseError("{% for x in y %}a{% else %}b").Message);

    [Fact]
    public void UnknownFilterHasLineAndColumn()
    {
        var e = ParseError("ok\n{{ x | nosuch }}");
        Assert.Contains("no filter named 'nosuch'", e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(8, e.Column);
    }

    [Fact]
    public void UnknownTest() => Assert.Contains("no test named 'bogus'", ParseError("{{ x is bogus }}").Message);

    [Theory]
    [InlineData("{{ x", "unclosed tag '{{'", 1, 1)]
    [InlineData("a\n  {% if x", "unclosed tag '{%'", 2, 3)]
    [InlineData("{# never closed", "unclosed comment", 1, 1)]
    [InlineData("{{ 'abc }}", "unterminated string literal", 1, 4)]
    [InlineData("{% endfor %}", "unexpected 'endfor'", 1, 1)]
    [InlineData("{% frobnicate %}", "unknown tag 'frobnicate'", 1, 1)]
    [InlineData("{% include 'x.j2' %}", "unsupported tag 'include'", 1, 1)]
    [InlineData("{{ 1 + }}", "unexpected '}}'", 1, 8)]
    [InlineData("{{ (1 }}", "unexpected '}', expected closing for '('", 1, 7)]
    [InlineData("{{ 1 ]}}", "unexpected ']'", 1, 6)]
    [InlineData("{% break %}", "'break' outside of a loop", 1, 1)]
    [InlineData("{{ a $ b }}", "unexpected character '$'", 1, 6)]
    [InlineData("{% raw %}never ended", "unclosed '{% raw %}'", 1, 1)]
    [InlineData("{% if x %}{% endfor %}", "unexpected 'endfor'", 1, 11)]
    public void SyntaxErrors(string template, string message, int line, int column)
    {
        var e = ParseError(template);
        Assert.Contains(message, e.Message);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Contains($"(line {line}, column {column})", e.Message);
    }

    [Fact]
    public void DeepNestingIsAnErrorNotAStackOverflow()
    {
        var e = ParseError("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}");
        Assert.Contains("nested too deeply", e.Message);
        ParseError(string.Concat(Enumerable.Repeat("{% if x %}", 5000)));
    }

    [Fact]
    public void InfiniteMacroRecursionIsAnError() =>
        Assert.Contains("recursion", RenderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").Message);

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessage()
    {
        var e = RenderError("{% if messages | length == 0 %}\n{{ raise_exception('Conversation must not be empty') }}{% endif %}", "{\"messages\": []}");
        Assert.Equal("Conversation must not be empty", e.Message);
        Assert.True(e.RaisedByTemplate);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("{{ u + 1 }}", "'u' is undefined")]
    [InlineData("{{ nope() }}", "'nope' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'")]
    [InlineData("{{ 1 / 0 }}", "division by zero")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "only namespace() objects accept attribute assignment")]
    [InlineData("{% for a, b in [[1, 2, 3]] %}{% endfor %}", "too many values to unpack")]
    [InlineData("{% for x in none %}{% endfor %}", "'NoneType' object is not iterable")]
    [InlineData("{{ u | tojson }}", "not JSON serializable")]
    [InlineData("{{ 1 < 'a' }}", "'<' not supported")]
    [InlineData("{{ 'abc'.nosuchmethod() }}", "'nosuchmethod' is undefined")]
    [InlineData("{{ 'x' * 100000000 }}", "string repetition too large")]
    [InlineData("{{ [1, 2] * 100000000 }}", "list repetition too large")]
    [InlineData("{{ range(1000000) | length }}", "range too big")]
    [InlineData("{{ 'abc'.center(9, 'xy') }}", "fill character must be exactly one character")]
    [InlineData("{{ [1, 2][::0] }}", "slice step cannot be zero")]
    public void RuntimeErrorsAreTemplateExceptions(string template, string message)
    {
        var e = RenderError(template);
        Assert.Contains(message, e.Message);
        Assert.False(e.RaisedByTemplate);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void RuntimeErrorReportsItsLine()
    {
        var e = RenderError("a\nb\n  {{ x.y + 1 }}", "{\"x\": {\"y\": \"s\"}}");
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void TokenizerConfigWithoutTemplateIsInvalidData()
    {
        string dir = Directory.CreateTempSubdirectory("tokamak-jinja").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer_config.json");
            File.WriteAllText(path, "{\"eos_token\": \"</s>\"}");
            Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path));
            File.WriteAllText(path, "not json");
            Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path));
            File.WriteAllText(path, "{\"chat_template\": [{\"name\": \"default\", \"template\": \"x\"}]}");
            var e = Assert.Throws<ArgumentException>(() => ChatTemplate.FromTokenizerConfig(path, "tool_use"));
            Assert.Contains("available: default", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ReservedExtraNamesAreRejected() =>
        Assert.Throws<ArgumentException>(() => new ChatTemplate("x", null, null)
            .Render([], false, extra: new Dictionary<string, JsonNode?> { ["messages"] = null }));
}
