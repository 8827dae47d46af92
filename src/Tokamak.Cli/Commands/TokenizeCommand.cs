using System.CommandLine;
using System.Text.Json;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak tokenize</c>: show how a model's tokenizer splits text.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var o = new CommonOptions();
        var text = new Option<string>("--text") { Description = "Text to tokenize", Required = true };
        var noSpecial = new Option<bool>("--no-special") { Description = "Do not add BOS or other special tokens" };
        var cmd = new Command("tokenize", "Encode text with a model's tokenizer");
        o.AddModel(cmd);
        cmd.Add(text);
        cmd.Add(noSpecial);
        cmd.Add(o.Format);
        cmd.SetAction(r =>
        {
            string format = o.OutputFormat(r);
            using var m = o.Load(r, quiet: true);
            var ids = m.Tokenizer.Encode(r.GetValue(text)!, addSpecialTokens: !r.GetValue(noSpecial));
            var pieces = ids.Select(m.Tokenizer.TokenToPiece).ToArray();
            if (format == "json")
                Console.WriteLine(JsonSerializer.Serialize(new { ids, pieces, count = ids.Length }));
            else
            {
                for (int i = 0; i < ids.Length; i++) Console.WriteLine($"{ids[i],8}  {JsonSerializer.Serialize(pieces[i])}");
                Console.WriteLine($"{ids.Length} tokens");
            }
            return 0;
        });
        return cmd;
    }
}
