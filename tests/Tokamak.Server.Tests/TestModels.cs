using System.Text.Json.Nodes;
using Tokamak.Models;
using Tokamak.Tensors;

namespace Tokamak.Server.Tests;

/// <summary>Test model folders built at test time from the read-only shared fixtures.</summary>
internal static class TestModels
{
    private static readonly Lazy<string> SharedDir = new(() =>
    {
        var env = Environment.GetEnvironmentVariable("TOKAMAK_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "models"))) return candidate;
        }
        throw new DirectoryNotFoundException("shared/ fixtures not found beside the checkout (set TOKAMAK_SHARED)");
    });

    public static string TinyStories => Path.Combine(SharedDir.Value, "models", "tinystories-656k");

    /// <summary>A ChatML template with Hermes-style tool calls, written for these tests.</summary>
    public const string ChatMlTemplate = """
        {{ bos_token }}
        {%- if tools %}{{ '<|im_start|>system\n' }}{% if messages[0].role == 'system' %}{{ messages[0].content + '\n\n' }}{% endif %}{{ 'You may call these tools:' }}{% for tool in tools %}{{ '\n' + (tool | tojson) }}{% endfor %}{{ '\nCall one as <tool_call>{"name": ..., "arguments": ...}</tool_call><|im_end|>\n' }}{% endif %}
        {%- for message in messages %}{% if not (tools and loop.first and message.role == 'system') %}{{ '<|im_start|>' + message.role + '\n' }}{% if message.content %}{{ message.content }}{% endif %}{% if message.tool_calls %}{% for tc in message.tool_calls %}{{ '\n<tool_call>{"name": "' + tc.function.name + '", "arguments": ' + tc.function.arguments + '}</tool_call>' }}{% endfor %}{% endif %}{{ '<|im_end|>\n' }}{% endif %}{% endfor %}
        {%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
        """;

    private static readonly Lazy<string> ChatDir = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-server-chat-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TinyStories)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        var cfgPath = Path.Combine(dir, "tokenizer_config.json");
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["chat_template"] = ChatMlTemplate;
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        return dir;
    });

    /// <summary>tinystories-656k with a chat template added.</summary>
    public static string TinyStoriesChat => ChatDir.Value;

    private static readonly Lazy<string> SlowDir = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-server-slow-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyStories, "config.json")))!.AsObject();
        cfg["hidden_size"] = 384;
        cfg["intermediate_size"] = 1024;
        cfg["num_hidden_layers"] = 8;
        cfg["num_attention_heads"] = 6;
        cfg["num_key_value_heads"] = 2;
        cfg["max_position_embeddings"] = 1024;
        string cfgPath = Path.Combine(dir, "source-config.json");
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        RandomModelWriter.Write(cfgPath, dir, DType.F32, 7, TinyStories);
        return dir;
    });

    /// <summary>
    /// A random-weight model with tinystories' tokenizer, large enough (8 layers × 384) that a long generation takes
    /// a while, so that a client can disconnect mid-stream.
    /// </summary>
    public static string Slow => SlowDir.Value;
}
