using System.Globalization;
using System.Text.Json.Nodes;

namespace Tokamak.Data.Synthetic;

/// <summary>
/// ShareGPT records (LLaMA-Factory's layout: <c>conversations</c> of <c>{from, value}</c> with from ∈ human, gpt,
/// function_call, observation, plus optional <c>system</c> and <c>tools</c> columns) for single questions, multi-turn
/// chats, story requests and calculator tool calls. Questions and stories come from the caller, who keeps held-out
/// texts out.
/// </summary>
public sealed class ChatGenerator(SyntheticRandom rng, Func<QaPair> drawQuestion, Func<string> drawStory)
{
    /// <summary>The assistant's self-description, used by identity questions.</summary>
    public const string Identity =
        "I am a small language model trained by Tokamak. I can answer simple questions about numbers, days, months, words and units, use a calculator, and tell short stories.";

    /// <summary>System prompts some records carry, so the model learns to accept one.</summary>
    public static readonly string[] SystemPrompts = ["You are a helpful assistant.", "You are a friendly assistant. Answer briefly.", "You are Tokamak's tiny assistant."];

    private static readonly (string User, string Reply)[] Greetings =
    [
        ("Hello!", "Hello! How can I help you today?"), ("Hi", "Hi! What would you like to know?"), ("Good morning!", "Good morning! How can I help?"),
        ("Hey there", "Hey! Ask me a question."), ("Hi, how are you?", "I am fine, thank you! How can I help you?"),
    ];

    private static readonly (string User, string Reply)[] Identities =
    [
        ("Who are you?", Identity), ("What are you?", Identity), ("What can you do?", Identity), ("Tell me about yourself.", Identity),
        ("What is your name?", "I am Tokamak's tiny model."), ("Who made you?", "I was trained by Tokamak, from data it made itself."),
    ];

    private static readonly (string User, string Reply)[] Closings =
    [
        ("Thank you!", "You are welcome!"), ("Thanks.", "You are welcome. Have a nice day!"), ("Bye!", "Goodbye!"), ("Great, thanks!", "Glad I could help!"),
    ];

    private static readonly string[] StoryRequests = ["Tell me a story.", "Can you tell me a short story?", "Please tell me a story.", "Tell me a story for bedtime.", "I want to hear a story."];

    private static readonly string[] ToolForms =
    [
        "What is {0}?", "Use the calculator to work out {0}.", "Please calculate {0}.", "Can you compute {0} for me?", "How much is {0}?",
    ];

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One question and its answer, with a system prompt one time in ten.</summary>
    public JsonObject SingleQuestion(QaPair qa) => Record(rng.Chance(0.1) ? rng.Pick(SystemPrompts) : null, null, Human(qa.Question), Gpt(qa.Answer));

    /// <summary>A greeting or identity exchange, then one to three questions, sometimes a closing.</summary>
    public JsonObject MultiTurn()
    {
        var turns = new List<JsonObject>();
        var opener = rng.Chance(0.5) ? rng.Pick(Greetings) : rng.Pick(Identities);
        turns.Add(Human(opener.User));
        turns.Add(Gpt(opener.Reply));
        int questions = rng.Between(1, 3);
        for (int i = 0; i < questions; i++)
        {
            var qa = drawQuestion();
            turns.Add(Human(qa.Question));
            turns.Add(Gpt(qa.Answer));
        }
        if (rng.Chance(0.5))
        {
            var close = rng.Pick(Closings);
            turns.Add(Human(close.User));
            turns.Add(Gpt(close.Reply));
        }
        return Record(rng.Chance(0.2) ? rng.Pick(SystemPrompts) : null, null, [.. turns]);
    }

    /// <summary>A request for a story answered with one.</summary>
    public JsonObject StoryRequest() => Record(null, null, Human(rng.Pick(StoryRequests)), Gpt(drawStory()));

    /// <summary>
    /// A calculation too big to do in the head: the assistant calls the calculator, reads the observation and answers
    /// with the result. Sometimes a plain question follows, answered without the tool.
    /// </summary>
    public JsonObject ToolCall()
    {
        string expression = DrawExpression();
        long result = CalculatorTool.Evaluate(expression);
        var call = new JsonObject { ["name"] = CalculatorTool.Name, ["arguments"] = new JsonObject { ["expression"] = expression } };
        var observation = new JsonObject { ["result"] = result };
        var turns = new List<JsonObject>
        {
            Human(string.Format(CultureInfo.InvariantCulture, rng.Pick(ToolForms), expression)),
            Message("function_call", call.ToJsonString(Relaxed)),
            Message("observation", observation.ToJsonString(Relaxed)),
            Gpt($"{expression} = {result.ToString(CultureInfo.InvariantCulture)}."),
        };
        if (rng.Chance(0.3))
        {
            var qa = drawQuestion();
            turns.Add(Human(qa.Question));
            turns.Add(Gpt(qa.Answer));
        }
        return Record(rng.Chance(0.3) ? rng.Pick(SystemPrompts) : null, CalculatorTool.Schema().ToJsonString(Relaxed), [.. turns]);
    }

    private string DrawExpression()
    {
        switch (rng.Next(4))
        {
            case 0: return $"{rng.Between(100, 9999)} + {rng.Between(100, 9999)}";
            case 1:
                int a = rng.Between(100, 9999);
                return $"{a} - {rng.Between(10, a)}";
            case 2: return $"{rng.Between(12, 999)} * {rng.Between(12, 99)}";
            default:
                int d = rng.Between(3, 99);
                return $"{d * rng.Between(12, 999)} / {d}";
        }
    }

    private static JsonObject Human(string text) => Message("human", text);

    private static JsonObject Gpt(string text) => Message("gpt", text);

    private static JsonObject Message(string from, string value) => new() { ["from"] = from, ["value"] = value };

    private static JsonObject Record(string? system, string? tools, params JsonObject[] turns)
    {
        var record = new JsonObject { ["conversations"] = new JsonArray([.. turns]) };
        if (system is not null) record["system"] = system;
        if (tools is not null) record["tools"] = tools;
        return record;
    }
}
