using System.Text.Json.Nodes;
using Tokamak.Engine;
using Tokamak.Engine.Sampling;
using Tokamak.Models;

namespace Tokamak.Server.Tests;

/// <summary>The single-sequence backend (<c>backend: generator</c>) serves the same API with the same outputs.</summary>
public sealed class GeneratorBackendTests
{
    [Fact]
    public async Task Completions_n2_match_seeded_generator_runs_and_free_the_kv()
    {
        await using var server = await TestServer.StartAsync(TestModels.TinyStoriesChat, configure: o => o.Backend = "generator");
        using var model = ModelLoader.Load(TestModels.TinyStoriesChat);
        const string prompt = "Sam found a shell";
        var ids = model.Tokenizer.Encode(prompt);

        var json = await Raw.PostJsonAsync(server.Http, "/v1/completions", new JsonObject
        {
            ["model"] = server.ModelName,
            ["prompt"] = prompt,
            ["max_tokens"] = 20,
            ["temperature"] = 0.7,
            ["seed"] = 99,
            ["n"] = 2,
        });
        var choices = json["choices"]!.AsArray();
        for (int i = 0; i < 2; i++)
        {
            var want = new Generator(model.Model, model.Tokenizer).Generate(ids, new SamplingParams { Temperature = 0.7f, MaxTokens = 20, Seed = 99UL + (ulong)i });
            Assert.Equal(want.Text, (string?)choices[i]!["text"]);
        }
        Assert.Equal(0, await server.MetricAsync("tokamak_kv_blocks_used"));
        Assert.Equal(0, await server.MetricAsync("tokamak_requests_running"));
    }
}
