using Tokamak.Data.Augmentation;
using Tokamak.Data.Formats;
using Tokamak.Data.Output;
using Tokamak.Data.Readers;
using Tokamak.Data.Rendering;
using Tokamak.Text.Templates;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Data.Preparation;

/// <summary>The outcome of <see cref="DataPreparer.Run"/>.</summary>
/// <param name="Report">Counts, drop reasons, augmentation and per-stage throughput (also written as report.json/.txt).</param>
/// <param name="Examples">Tokenized records written.</param>
/// <param name="Tokens">Token ids written.</param>
/// <param name="InputBytes">Size of the dataset files read.</param>
/// <param name="Plots">PNG files written.</param>
public sealed record PrepareResult(DataReport Report, long Examples, long Tokens, long InputBytes, IReadOnlyList<string> Plots);

/// <summary>
/// <c>tokamak data prepare</c>: streams the datasets through read → convert → filter → augment → render → write.
/// Conversations are rendered through the chat template into ids and loss masks (pt documents are tokenized,
/// joined with EOS and cut into cutoff_len blocks, as the trainer does); the result goes to
/// <see cref="TokenizedShards"/> shards with a report. Memory stays bounded by one record plus the per-example state
/// the enabled filters keep (hashes for dedup, signatures for near-dup; whole-set filters buffer the survivors).
/// </summary>
public sealed class DataPreparer
{
    /// <summary>Stage name of rendering in the report.</summary>
    public const string RenderStage = "render";

    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplate? _template;
    private readonly PrepareOptions _o;

    /// <summary>Creates a preparer; <paramref name="template"/> may be null only for the pt stage.</summary>
    public DataPreparer(Tokenizer tokenizer, ChatTemplate? template, PrepareOptions options)
    {
        options.Validate();
        if (template is null && options.Stage != "pt") throw new InvalidDataException($"stage {options.Stage} needs a chat template, and the model has none (pass --template chatml or a .jinja file)");
        _tokenizer = tokenizer;
        _template = template;
        _o = options;
    }

    /// <summary>The converted, filtered and augmented examples of all datasets, lazily, with the clocks of each stage.</summary>
    internal IEnumerable<UnifiedExample> Examples(DataReport report, Clocks clocks, InstructionParaphraser? paraphraser)
    {
        var kind = _o.Stage == "pt" ? ExampleKind.Pretraining : ExampleKind.Conversation;
        var infos = _o.Datasets.Select(n => DatasetResolver.Resolve(_o.DatasetDir, n)).ToList();
        IEnumerable<UnifiedExample> Converted()
        {
            foreach (var info in infos)
            {
                var stats = new ReaderStats();
                var path = info.ResolvePath(_o.DatasetDir);
                var files = Directory.Exists(path) ? Directory.EnumerateFiles(path).Order(StringComparer.Ordinal).ToList() : [path];
                IEnumerable<RawRecord> Records()
                {
                    foreach (var f in files)
                        foreach (var r in RecordReaders.ReadFile(f, _o.Reader, stats)) { report.RecordsRead++; yield return r; }
                    report.ReaderSkipped += stats.Skipped;
                    report.ReaderErrors.AddRange(stats.Errors.Take(Math.Max(0, ReaderStats.MaxKeptErrors - report.ReaderErrors.Count)));
                }
                var converted = new ExampleConverter(info, report, _o.Aliases, kind).ConvertAll(clocks.Read.Wrap(Records()));
                if (info.NumSamples is { } n) converted = converted.Take(checked((int)Math.Min(n, int.MaxValue)));
                foreach (var e in converted) yield return e;
            }
        }
        var filtered = clocks.Filter.Wrap(DataPipeline.FromOptions(_o.Quality).Filter(clocks.Convert.Wrap(Converted()), report));
        return paraphraser is null ? filtered : clocks.Augment.Wrap(paraphraser.ApplyAll(filtered));
    }

    /// <summary>Runs the whole preparation and writes the output folder.</summary>
    public PrepareResult Run()
    {
        var report = new DataReport();
        var clocks = new Clocks();
        var paraphraser = _o.ParaphraseRatio > 0 ? new InstructionParaphraser(_o.ParaphraseRatio, _o.Seed) : null;
        var renderer = _template is null ? null : new ConversationRenderer(_template, _tokenizer, _o.Render);
        var tokenLengths = new List<int>();
        var charLengths = new List<int>();
        long written, tokens;
        using (var writer = new TokenizedShardWriter(_o.OutDir, _o.Stage, _o.ShardBytes))
        {
            if (_o.Stage == "pt") WritePretraining(Examples(report, clocks, paraphraser), writer, clocks, tokenLengths, charLengths);
            else
                foreach (var e in Examples(report, clocks, paraphraser))
                {
                    charLengths.Add(ExampleText.Flatten(e).Length);
                    TokenizedRecord? r = null;
                    clocks.Render.Time(() => r = Render(renderer!, e, report));
                    clocks.Render.Items++;
                    if (r is null) continue;
                    tokenLengths.Add(r.Ids.Length + (r.Chosen?.Length ?? 0));
                    clocks.Write.Time(() => writer.Write(r));
                    clocks.Write.Items++;
                }
            written = writer.Examples;
            tokens = writer.Tokens;
        }
        long inputBytes = InputBytes();
        if (paraphraser != null)
        {
            report.Counters["paraphrase.matched"] = paraphraser.Matched;
            foreach (var (k, v) in paraphraser.Applied) report.Counters[$"paraphrase.{k}"] = v;
            report.Counters["paraphrase.total"] = paraphraser.Applied.Values.Sum();
        }
        report.Counters["written_examples"] = written;
        report.Counters["written_tokens"] = tokens;
        AddLengthStats(report, "tokens", tokenLengths);
        AddLengthStats(report, "chars", charLengths);
        clocks.Fill(report, inputBytes);
        ReportFiles.Write(report, _o.OutDir);
        var plots = new List<string>();
        if (_o.Plots)
        {
            string unit = _o.Stage == "pt" ? "document" : "example";
            if (tokenLengths.Count > 0) plots.Add(LengthHistogramPlot.Save(tokenLengths, $"Tokens per {unit} ({tokenLengths.Count})", "tokens", Path.Combine(_o.OutDir, "length_tokens.png")));
            if (charLengths.Count > 0) plots.Add(LengthHistogramPlot.Save(charLengths, $"Characters per kept {unit} ({charLengths.Count})", "characters", Path.Combine(_o.OutDir, "length_chars.png")));
        }
        return new PrepareResult(report, written, tokens, inputBytes, plots);
    }

    /// <summary>
    /// The first <paramref name="count"/> examples after conversion, filters and augmentation, each with its rendering
    /// (null when rendering dropped it; pt documents are tokenized whole, without packing). Nothing is written.
    /// </summary>
    public IEnumerable<(UnifiedExample Example, TokenizedRecord? Record)> Preview(int count, DataReport? report = null)
    {
        report ??= new DataReport();
        var renderer = _template is null ? null : new ConversationRenderer(_template, _tokenizer, _o.Render);
        var paraphraser = _o.ParaphraseRatio > 0 ? new InstructionParaphraser(_o.ParaphraseRatio, _o.Seed) : null;
        foreach (var e in Examples(report, new Clocks(), paraphraser).Take(count))
        {
            if (renderer is null)
            {
                var ids = _tokenizer.Encode(e.Content ?? ExampleText.Flatten(e), addSpecialTokens: true);
                var mask = new bool[ids.Length];
                Array.Fill(mask, true);
                yield return (e, new TokenizedRecord(ids, mask));
            }
            else yield return (e, Render(renderer, e, report));
        }
    }

    /// <summary>Renders one example for the stage, or returns null after counting why it was dropped.</summary>
    internal TokenizedRecord? Render(ConversationRenderer renderer, UnifiedExample e, DataReport report)
    {
        try
        {
            if (_o.Stage is "rm" or "dpo")
            {
                if (e.Chosen is null) return Drop(report, "not_preference", $"{e.Origin}: stage {_o.Stage} needs ranking data (chosen/rejected), this example has none");
                var (p, ch, rj) = renderer.RenderPreference(e);
                if (ch.Length == 0 || rj.Length == 0) return Drop(report, "empty_response", null);
                report.Pass(RenderStage);
                return new TokenizedRecord(p, null, ch, rj);
            }
            var r = renderer.RenderSupervised(e);
            if (r.Ids.Length < 2 || !r.LossMask.AsSpan(1).Contains(true)) return Drop(report, "no_trained_tokens", null);
            report.Pass(RenderStage);
            return new TokenizedRecord(r.Ids, r.LossMask);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException or FormatException && _o.Reader.OnError == ErrorPolicy.Skip)
        {
            return Drop(report, "render_error", $"{e.Origin}: {ex.Message}");
        }
    }

    private TokenizedRecord? Drop(DataReport report, string reason, string? failMessage)
    {
        if (failMessage != null && _o.Reader.OnError == ErrorPolicy.Fail) throw new InvalidDataException(failMessage);
        if (failMessage != null && report.ReaderErrors.Count < ReaderStats.MaxKeptErrors) report.ReaderErrors.Add(failMessage);
        report.Drop(RenderStage, reason);
        return null;
    }

    // LLaMA-Factory's pretraining packing: documents + EOS concatenated and cut into cutoff_len blocks, all trained.
    private void WritePretraining(IEnumerable<UnifiedExample> docs, TokenizedShardWriter writer, Clocks clocks, List<int> tokenLengths, List<int> charLengths)
    {
        int block = _o.Render.CutoffLen;
        var buffer = new List<int>(block * 2);
        var mask = new bool[block];
        Array.Fill(mask, true);
        void Flush(int n)
        {
            clocks.Write.Time(() => writer.Write(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer)[..n], mask.AsSpan(0, n)));
            clocks.Write.Items++;
            buffer.RemoveRange(0, n);
        }
        foreach (var e in docs)
        {
            var text = e.Content ?? ExampleText.Flatten(e);
            charLengths.Add(text.Length);
            int before = buffer.Count;
            clocks.Render.Time(() =>
            {
                buffer.AddRange(_tokenizer.Encode(text, addSpecialTokens: true));
                if (_tokenizer.EosId is int eos) buffer.Add(eos);
            });
            clocks.Render.Items++;
            tokenLengths.Add(buffer.Count - before);
            while (buffer.Count >= block) Flush(block);
        }
        if (buffer.Count >= 2) Flush(buffer.Count);
    }

    private long InputBytes()
    {
        long total = 0;
        foreach (var name in _o.Datasets)
        {
            var path = DatasetResolver.Resolve(_o.DatasetDir, name).ResolvePath(_o.DatasetDir);
            total += Directory.Exists(path) ? Directory.EnumerateFiles(path).Sum(f => new FileInfo(f).Length) : new FileInfo(path).Length;
        }
        return total;
    }

    private static void AddLengthStats(DataReport report, string unit, List<int> lengths)
    {
        if (lengths.Count == 0) return;
        var sorted = lengths.ToArray();
        Array.Sort(sorted);
        report.Counters[$"length_{unit}.min"] = sorted[0];
        report.Counters[$"length_{unit}.p50"] = sorted[sorted.Length / 2];
        report.Counters[$"length_{unit}.p95"] = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.95))];
        report.Counters[$"length_{unit}.max"] = sorted[^1];
    }

    /// <summary>Inclusive clocks of the lazy stages; render and write are timed directly.</summary>
    internal sealed class Clocks
    {
        public readonly StageClock Read = new(), Convert = new(), Filter = new(), Augment = new(), Render = new(), Write = new();

        public void Fill(DataReport report, long bytes)
        {
            report.Throughput.Add(new StageThroughput("read", Read.Items, bytes, Read.Seconds));
            report.Throughput.Add(new StageThroughput("convert", Read.Items, bytes, Math.Max(0, Convert.Seconds - Read.Seconds)));
            report.Throughput.Add(new StageThroughput("filter", Convert.Items, bytes, Math.Max(0, Filter.Seconds - Convert.Seconds)));
            if (Augment.Items > 0) report.Throughput.Add(new StageThroughput("augment", Filter.Items, bytes, Math.Max(0, Augment.Seconds - Filter.Seconds)));
            report.Throughput.Add(new StageThroughput("render", Render.Items, bytes, Render.Seconds));
            report.Throughput.Add(new StageThroughput("write", Write.Items, bytes, Write.Seconds));
        }
    }
}
