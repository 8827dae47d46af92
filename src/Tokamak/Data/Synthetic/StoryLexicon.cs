namespace Tokamak.Data.Synthetic;

/// <summary>A story character: name, what it is, and the pronouns every later sentence must use for it.</summary>
/// <param name="Name">Proper name, e.g. "Lily".</param>
/// <param name="Kind">What the character is, e.g. "girl", "cat".</param>
/// <param name="Subject">"she" / "he".</param>
/// <param name="ObjectPronoun">"her" / "him".</param>
/// <param name="Possessive">"her" / "his".</param>
public sealed record StoryCharacter(string Name, string Kind, string Subject, string ObjectPronoun, string Possessive);

/// <summary>The closed word lists stories are built from (all written for this project).</summary>
public static class StoryLexicon
{
    /// <summary>Girl's names.</summary>
    public static readonly string[] SheNames = ["Lily", "Mia", "Anna", "Lucy", "Emma", "Sara", "Zoe", "Ella", "Rosa", "Nina", "Maya", "Ruby", "Ivy", "Jane", "Kate", "Amy"];

    /// <summary>Boy's names.</summary>
    public static readonly string[] HeNames = ["Tom", "Ben", "Sam", "Max", "Leo", "Jack", "Tim", "Finn", "Noah", "Eli", "Jake", "Paul", "Dan", "Luke", "Ned", "Oscar"];

    /// <summary>What a "she" character can be.</summary>
    public static readonly string[] SheKinds = ["girl", "little girl", "cat", "bunny", "duck", "mouse", "bird", "fox"];

    /// <summary>What a "he" character can be.</summary>
    public static readonly string[] HeKinds = ["boy", "little boy", "dog", "bear", "frog", "puppy", "lion", "owl"];

    /// <summary>Adjectives for characters.</summary>
    public static readonly string[] CharacterTraits = ["kind", "happy", "curious", "brave", "shy", "funny", "small", "clever", "gentle", "busy"];

    /// <summary>Places, each usable after "the".</summary>
    public static readonly string[] Places = ["park", "garden", "forest", "beach", "farm", "lake", "hill", "town", "school", "river", "meadow", "zoo"];

    /// <summary>Objects a character can own, lose, give or find.</summary>
    public static readonly string[] Objects = ["ball", "kite", "hat", "book", "toy car", "doll", "drum", "box", "cup", "shell", "balloon", "boat", "key", "bell", "blanket", "spoon"];

    /// <summary>Colors.</summary>
    public static readonly string[] Colors = ["red", "blue", "green", "yellow", "pink", "purple", "orange", "white", "brown", "shiny"];

    /// <summary>Where a lost object turns up.</summary>
    public static readonly string[] HidingSpots = ["under a big tree", "behind a rock", "in the tall grass", "under a bench", "next to the pond", "inside an old box", "under some leaves", "near the fence"];

    /// <summary>Good feelings.</summary>
    public static readonly string[] HappyFeelings = ["happy", "glad", "proud", "excited", "joyful", "calm"];

    /// <summary>Bad feelings.</summary>
    public static readonly string[] SadFeelings = ["sad", "worried", "upset", "scared", "lonely", "tired"];

    /// <summary>Things to learn, as (verb phrase, what success looks like).</summary>
    public static readonly (string Skill, string Success)[] Skills =
    [
        ("ride a bike", "rode all the way around the yard"),
        ("swim", "swam across the pond"),
        ("climb a tree", "reached the highest branch"),
        ("bake a cake", "made a sweet cake"),
        ("fly a kite", "made the kite dance in the sky"),
        ("read a book", "read the whole page"),
        ("sing a song", "sang the song from start to end"),
        ("jump over the log", "jumped over the log"),
    ];

    /// <summary>Food that can be shared.</summary>
    public static readonly string[] Foods = ["apples", "cookies", "berries", "bread", "carrots", "cherries", "nuts", "grapes"];

    /// <summary>Times of day to open a scene.</summary>
    public static readonly string[] Times = ["One day", "One morning", "One sunny day", "One afternoon", "One evening", "Later that day"];

    /// <summary>Story openings before the first character.</summary>
    public static readonly string[] Openings = ["Once upon a time", "Long ago", "Once"];

    /// <summary>"a" or "an" followed by <paramref name="word"/>.</summary>
    public static string A(string word) => ("aeiou".Contains(char.ToLowerInvariant(word[0])) ? "an " : "a ") + word;

    /// <summary><paramref name="s"/> with its first letter in upper case.</summary>
    public static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>A random character; <paramref name="avoidName"/> keeps two characters of a story apart.</summary>
    public static StoryCharacter Character(SyntheticRandom rng, string? avoidName = null)
    {
        while (true)
        {
            bool she = rng.Chance(0.5);
            string name = rng.Pick(she ? SheNames : HeNames);
            if (name == avoidName) continue;
            string kind = rng.Pick(she ? SheKinds : HeKinds);
            return she ? new StoryCharacter(name, kind, "she", "her", "her") : new StoryCharacter(name, kind, "he", "him", "his");
        }
    }
}
