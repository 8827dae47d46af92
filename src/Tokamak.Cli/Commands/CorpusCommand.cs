using System.CommandLine;
using Tokamak.Data.Synthetic;

namespace Tokamak.Cli.Commands;

/// <summary><c>tokamak corpus</c>: generate the synthetic training corpus, its held-out split and its tokenizer.</summary>
internal static class CorpusCommand
{
    public static Command Create()
    {
        var defaults = new CorpusOptions();
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the training data (the held-out split is fixed)", DefaultValueFactory = _ => defaults.Seed };
        var stories = new Option<int>("--stories") { Description = "Training stories", DefaultValueFactory = _ => defaults.Stories };
        var qa = new Option<int>("--qa") { Description = "Single-question SFT records", DefaultValueFactory = _ => defaults.Questions };
        var chats = new Option<int>("--chats") { Description = "Multi-turn chat records", DefaultValueFactory = _ => defaults.Chats };
        var storyChats = new Option<int>("--story-chats") { Description = "Story-request chat records", DefaultValueFactory = _ => defaults.StoryChats };
        var tools = new Option<int>("--tool-calls") { Description = "Calculator tool-call records", DefaultValueFactory = _ => defaults.ToolCalls };
        var vocab = new Option<int>("--vocab") { Description = "Tokenizer vocabulary size incl. special tokens (0: no tokenizer)", DefaultValueFactory = _ => defaults.TokenizerVocabSize };
        var ctx = new Option<int>("--ctx") { Description = "Context length recorded in tokenizer_config.json", DefaultValueFactory = _ => defaults.ModelMaxLength };
        var evalPerTask = new Option<int>("--eval-per-task") { Description = "Most held-out questions per task", DefaultValueFactory = _ => defaults.EvalQuestionsPerTask };
        var evalStories = new Option<int>("--eval-stories") { Description = "Held-out stories", DefaultValueFactory = _ => defaults.EvalStories };
        var cmd = new Command("corpus", "Generate the synthetic corpus (stories, questions, chats, tool calls), its held-out split and a BPE tokenizer")
        {
            output, seed, stories, qa, chats, storyChats, tools, vocab, ctx, evalPerTask, evalStories,
        };
        cmd.SetAction(r =>
        {
            var options = new CorpusOptions
            {
                Seed = r.GetValue(seed), Stories = r.GetValue(stories), Questions = r.GetValue(qa), Chats = r.GetValue(chats),
                StoryChats = r.GetValue(storyChats), ToolCalls = r.GetValue(tools), TokenizerVocabSize = r.GetValue(vocab),
                ModelMaxLength = r.GetValue(ctx), EvalQuestionsPerTask = r.GetValue(evalPerTask), EvalStories = r.GetValue(evalStories),
            };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var s = CorpusWriter.Write(r.GetValue(output)!, options);
            Console.Error.WriteLine($"tokamak: wrote {s.Stories} stories ({s.StoryCharacters / 1e6:F1}M chars), {s.Questions} questions, {s.Chats} chats; " +
                $"held out {s.EvalQuestions} questions and {s.EvalStories} stories" + (s.VocabSize > 0 ? $"; tokenizer of {s.VocabSize} tokens" : "") +
                $" to {s.Directory} in {sw.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return cmd;
    }
}
