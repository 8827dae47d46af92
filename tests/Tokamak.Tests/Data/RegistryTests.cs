using Tokamak.Data.Formats;

namespace Tokamak.Tests.Data;

public class RegistryTests
{
    [Fact]
    public void Fixture_DefaultsFilledAsLlamaFactory()
    {
        var reg = DatasetRegistry.Load(DataFixtures.Path("dataset_info.json"));
        Assert.Equal(["alpaca_demo", "chat", "oai", "custom", "hub"], reg.Datasets.Keys);

        var alpaca = reg["alpaca_demo"];
        Assert.Equal(DatasetFormat.Alpaca, alpaca.Formatting);
        Assert.False(alpaca.Ranking);
        Assert.Equal(("instruction", "input", "output"), (alpaca.Columns.Prompt, alpaca.Columns.Query, alpaca.Columns.Response));
        Assert.Null(alpaca.Columns.History);
        Assert.Null(alpaca.Columns.System);
        Assert.Null(alpaca.Columns.Tools);

        var chat = reg["chat"];
        Assert.Equal(DatasetFormat.ShareGpt, chat.Formatting);
        Assert.Equal("conversations", chat.Columns.Messages);
        Assert.Equal("system", chat.Columns.System);
        var t = chat.Tags;
        Assert.Equal(("from", "value", "human", "gpt", "observation", "function_call", "system"),
            (t.RoleTag, t.ContentTag, t.UserTag, t.AssistantTag, t.ObservationTag, t.FunctionTag, t.SystemTag));

        var oai = reg["oai"];
        Assert.Equal(DatasetFormat.OpenAi, oai.Formatting);
        Assert.Equal("messages", oai.Columns.Messages);
        Assert.Equal(("role", "content", "user", "assistant", "tool", "system"),
            (oai.Tags.RoleTag, oai.Tags.ContentTag, oai.Tags.UserTag, oai.Tags.AssistantTag, oai.Tags.ObservationTag, oai.Tags.SystemTag));

        var custom = reg["custom"];
        Assert.True(custom.Ranking);
        Assert.Equal(("msgs", "good", "bad", "tools"), (custom.Columns.Messages, custom.Columns.Chosen, custom.Columns.Rejected, custom.Columns.Tools));
        // Given tags override, the rest keep sharegpt defaults.
        Assert.Equal(("role", "text", "u", "a", "observation", "function_call", "system"),
            (custom.Tags.RoleTag, custom.Tags.ContentTag, custom.Tags.UserTag, custom.Tags.AssistantTag, custom.Tags.ObservationTag, custom.Tags.FunctionTag, custom.Tags.SystemTag));

        var hub = reg["hub"];
        Assert.Null(hub.FileName);
        Assert.Equal("someone/some-dataset", hub.HfHubUrl);
        Assert.Throws<NotSupportedException>(() => hub.ResolvePath("/tmp"));
        Assert.Throws<KeyNotFoundException>(() => reg["missing"]);
    }

    [Theory]
    [InlineData("""{"d": {"file_name": "x.json", "formatting": "markdown"}}""", "unknown formatting 'markdown'")]
    [InlineData("""{"d": {"formatting": "alpaca"}}""", "needs file_name")]
    [InlineData("""{"d": {"file_name": "x.json", "ranking": "yes"}}""", "'ranking' must be true or false")]
    [InlineData("""{"d": {"file_name": "x.json", "columns": {"prompt": 3}}}""", "'prompt' must be a string")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"d": """, "not valid JSON")]
    public void BadRegistry_ClearMessage(string json, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => DatasetRegistry.Parse(json));
        Assert.Contains(fragment, ex.Message);
    }
}
