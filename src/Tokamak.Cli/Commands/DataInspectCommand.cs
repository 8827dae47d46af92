using System.CommandLine;
using Tokamak.Data.Output;
using Tokamak.Data.Preparation;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak data inspect</c>: print a few rendered examples with the masked (not trained) tokens marked.</summary>
internal static class DataInspectCommand
{
    public static Command Create()
    {
        var d = new DataOptions();
        var count = new Option<int>("-n", "--count") { Description = "Examples to print", DefaultValueFactory = _ => 3 };
        var cmd = new Command("inspect", $"Print rendered examples; tokens without loss are wrapped in {MaskedText.Open} {MaskedText.Close}");
        d.AddTo(cmd);
        cmd.Add(count);
        cmd.SetAction(r =>
        {
            int n = r.GetValue(count);
            if (n < 1) throw new CliException($"-n must be at least 1, got {n}");
            string stage = d.StageName(r);
            var render = d.Render(r);
            var reader = d.Reader(r);
            using var m = d.LoadModel(r);
            var template = stage == "pt" ? null : d.ChatTemplate(r, m)
                ?? throw new CliException($"{m.Name} has no chat template; pass --template chatml or a .jinja file");
            var options = new PrepareOptions
            {
                DatasetDir = r.GetValue(d.DatasetDir)!, Datasets = d.Datasets(r), OutDir = Path.GetTempPath(), Stage = stage,
                Render = render, Reader = reader, Plots = false,
            };
            int shown = 0;
            foreach (var (example, record) in new DataPreparer(m.Tokenizer, template, options).Preview(n))
            {
                shown++;
                Console.WriteLine($"=== example {shown} ({example.Origin}) ===");
                if (record is null) Console.WriteLine("(dropped while rendering: no trained tokens or an error)");
                else if (record.IsPreference)
                {
                    Console.WriteLine($"{MaskedText.Open}{m.Tokenizer.Decode(record.Ids)}{MaskedText.Close}");
                    Console.WriteLine($"--- chosen ({record.Chosen!.Length} tokens) ---");
                    Console.WriteLine(m.Tokenizer.Decode(record.Chosen));
                    Console.WriteLine($"--- rejected ({record.Rejected!.Length} tokens) ---");
                    Console.WriteLine(m.Tokenizer.Decode(record.Rejected));
                }
                else
                {
                    Console.WriteLine(MaskedText.Format(m.Tokenizer, record.Ids, record.LossMask));
                    Console.WriteLine($"--- {record.Ids.Length} tokens, {record.LossMask!.Count(x => x)} trained ---");
                }
            }
            if (shown == 0) Console.Error.WriteLine("tokamak: no examples survived conversion");
            return 0;
        });
        return cmd;
    }
}
