using System.Text.Json.Nodes;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;
using Tokamak.Server.Backend;
using Tokamak.Text.Templates;

namespace Tokamak.Server.Tests;

/// <summary>
/// One server over tinystories-656k with a chat template, shared by a test class, and an independently loaded copy
/// of the same model driven through <see cref="Generator"/> directly for expected outputs.
/// </summary>
public sealed class ChatServerFixture : IAsyncLifetime
{
    private LoadedModel? _reference;

    internal TestServer Server { get; private set; } = null!;

    internal LoadedModel Reference => _reference!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync(TestModels.TinyStoriesChat);
        _reference = ModelLoader.Load(TestModels.TinyStoriesChat);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _reference?.Dispose();
    }

    /// <summary>The prompt ids a chat request should produce: the template rendered independently, no extra specials.</summary>
    internal int[] ChatPromptIds(JsonArray messages, JsonArray? tools = null)
    {
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(TestModels.TinyStoriesChat, "tokenizer_config.json"));
        return Reference.Tokenizer.Encode(template.Render(messages, true, tools), addSpecialTokens: false);
    }

    /// <summary>What the generator produces directly for <paramref name="promptIds"/>.</summary>
    internal GenerationResult Generate(int[] promptIds, SamplingParams p)
    {
        lock (this) return new Generator(Reference.Model, Reference.Tokenizer).Generate(promptIds, p);
    }
}
