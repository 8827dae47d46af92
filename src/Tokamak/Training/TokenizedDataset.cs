using Tokamak.Data.Output;
using Tokamak.Data.Rendering;
using Tokamak.Training.Objectives;

namespace Tokamak.Training;

/// <summary>
/// The trainer's side of <c>tokenized_path</c> (LLaMA-Factory semantics): when the folder holds tokenized shards
/// (<see cref="TokenizedShards"/>, e.g. from <c>tokamak data prepare</c>) they are loaded instead of reading and
/// rendering the datasets; otherwise the rendered items are saved there after preprocessing.
/// </summary>
public static class TokenizedDataset
{
    /// <summary>Loads the folder's records as trainer items: <see cref="RenderedExample"/> for pt/sft, <see cref="PreferencePair"/> for rm/dpo.</summary>
    public static List<object> Load(string directory, string stage)
    {
        bool preference = stage is "rm" or "dpo";
        var manifest = TokenizedShards.ReadManifest(directory);
        var items = new List<object>();
        foreach (var r in TokenizedShards.Read(directory))
        {
            if (r.IsPreference != preference)
                throw new InvalidDataException($"tokenized_path {directory} holds {manifest.Stage} data ({(r.IsPreference ? "preference pairs" : "sequences")}), which stage {stage} cannot train on");
            if (preference) items.Add(new PreferencePair(r.Ids, r.Chosen!, r.Rejected!));
            else if (r.Ids.Length >= 2) items.Add(new RenderedExample(r.Ids, r.LossMask!));
        }
        return items;
    }

    /// <summary>Writes trainer items as shards (stage recorded in the manifest).</summary>
    public static void Save(string directory, string stage, IEnumerable<object> items)
    {
        using var w = new TokenizedShardWriter(directory, stage);
        foreach (var item in items)
            switch (item)
            {
                case RenderedExample r: w.Write(r.Ids, r.LossMask); break;
                case PreferencePair p: w.WritePreference(p.Prompt, p.Chosen, p.Rejected); break;
                default: throw new ArgumentException($"cannot save a {item.GetType().Name} as a tokenized record");
            }
    }
}
