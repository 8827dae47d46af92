using System.Text.Json.Nodes;

namespace Tokamak.Data.Synthetic;

/// <summary>The training data: pretraining stories and ShareGPT records (questions, and chats with tool calls).</summary>
public sealed record TrainingSet(IReadOnlyList<string> Stories, IReadOnlyList<JsonObject> Questions, IReadOnlyList<JsonObject> Chats)
{
    /// <summary>Generates the training data for <paramref name="options"/>; every held-out text is skipped.</summary>
    public static TrainingSet Generate(CorpusOptions options)
    {
        options.Validate();
        var root = new SyntheticRandom(options.Seed);
        var storyRng = root.Fork(1);
        var qaRng = root.Fork(2);
        var chatRng = root.Fork(3);
        double fraction = options.HeldOutFraction;

        string DrawStory()
        {
            while (true)
            {
                string s = StoryGenerator.Generate(storyRng);
                if (!HeldOutSplit.IsHeldOut(s, fraction)) return s;
            }
        }

        // Tasks repeated by weight: a uniform pick over this list follows the weights.
        var weighted = QaTasks.All.SelectMany(t => Enumerable.Repeat(t, t.Weight)).ToArray();
        QaPair DrawQuestion()
        {
            while (true)
            {
                var qa = qaRng.Pick(weighted).Draw(qaRng);
                if (!HeldOutSplit.IsHeldOut(qa.Question, fraction)) return qa;
            }
        }

        var stories = new List<string>(options.Stories);
        for (int i = 0; i < options.Stories; i++) stories.Add(DrawStory());

        var chat = new ChatGenerator(chatRng, DrawQuestion, DrawStory);
        var questions = new List<JsonObject>(options.Questions);
        for (int i = 0; i < options.Questions; i++) questions.Add(chat.SingleQuestion(DrawQuestion()));

        var chats = new List<JsonObject>(options.Chats + options.StoryChats + options.ToolCalls);
        for (int i = 0; i < options.Chats; i++) chats.Add(chat.MultiTurn());
        for (int i = 0; i < options.StoryChats; i++) chats.Add(chat.StoryRequest());
        for (int i = 0; i < options.ToolCalls; i++) chats.Add(chat.ToolCall());
        Shuffle(chats, chatRng);
        return new TrainingSet(stories, questions, chats);
    }

    private static void Shuffle<T>(List<T> items, SyntheticRandom rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
