using System.CommandLine;
using System.Text.Json.Nodes;
using Tokamak.Engine;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak chat</c>: an interactive conversation through the model's own chat template.</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var system = new Option<string?>("--system") { Description = "System prompt" };
        var cmd = new Command("chat", "Chat with a model interactively (/reset clears history, /exit or Ctrl+D quits)");
        o.AddModel(cmd);
        cmd.Add(system);
        o.AddSampling(cmd);
        cmd.SetAction(r =>
        {
            var sampling = o.Sampling(r);
            using var m = o.Load(r);
            var template = m.ChatTemplate ?? throw new CliException($"{m.Name} has no chat template (use 'tokamak generate' for base models)");
            var gen = new Generator(m.Model, m.Tokenizer);
            var messages = new JsonArray();
            void Reset()
            {
                messages.Clear();
                if (r.GetValue(system) is { Length: > 0 } s) messages.Add(new JsonObject { ["role"] = "system", ["content"] = s });
            }
            Reset();
            bool interactive = !Console.IsInputRedirected;
            while (true)
            {
                if (interactive) Console.Write("> ");
                string? line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") break;
                if (line.Trim() == "/reset")
                {
                    Reset();
                    continue;
                }
                if (line.Length == 0) continue;
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = line });
                string rendered = template.Render(messages, addGenerationPrompt: true);
                var ids = m.Tokenizer.Encode(rendered, addSpecialTokens: false);
                using var cts = GenerateCommand.CancelOnCtrlC();
                var result = gen.Generate(ids, sampling, t => { Console.Write(t.Text); Console.Out.Flush(); }, cts.Token);
                Console.WriteLine();
                messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = result.Text });
            }
            return 0;
        });
        return cmd;
    }
}
