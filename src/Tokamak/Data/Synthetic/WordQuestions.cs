namespace Tokamak.Data.Synthetic;

/// <summary>Spelling words letter by letter, word lengths and letter counts, over a fixed list of simple words.</summary>
public static class WordQuestions
{
    private static readonly string[] SpellForms = ["Spell the word {0}.", "How do you spell {0}?", "Spell {0} letter by letter.", "What are the letters in {0}?", "Can you spell \"{0}\"?"];
    private static readonly string[] LengthForms = ["How many letters are in the word {0}?", "How many letters does {0} have?", "Count the letters in {0}.", "How long is the word \"{0}\"?"];
    private static readonly string[] CountForms = ["How many times does the letter {1} appear in {0}?", "How many {1}'s are in the word {0}?", "Count the letter {1} in {0}."];

    private static readonly string[] ExtraWords =
    [
        "cat", "dog", "sun", "moon", "star", "tree", "fish", "bird", "milk", "cake", "rain", "snow", "wind", "home", "door", "road",
        "apple", "water", "house", "green", "happy", "smile", "friend", "little", "yellow", "school", "mother", "father", "sister",
        "brother", "banana", "orange", "purple", "window", "garden", "pencil", "letter", "number", "summer", "winter", "spring",
        "flower", "rabbit", "turtle", "monkey", "jump", "run", "play", "sing", "read", "write", "walk", "swim", "sleep", "open",
        "book", "ball", "hat", "cup", "box", "bed", "car", "bus", "egg", "pig", "cow", "hen", "red", "blue", "pink", "big", "hot",
    ];

    // Declared after ExtraWords: static fields initialize in text order.
    /// <summary>The words asked about: the story vocabulary plus common short words (lower case, letters only).</summary>
    public static readonly string[] Words = BuildWords();

    /// <summary>Spell a word with its letters joined by hyphens (cat → c-a-t).</summary>
    public static QaPair Spell(SyntheticRandom r)
    {
        string w = r.Pick(Words);
        return new QaPair("spell", string.Format(r.Pick(SpellForms), w), string.Join('-', w.ToCharArray()));
    }

    /// <summary>How many letters a word has.</summary>
    public static QaPair WordLength(SyntheticRandom r)
    {
        string w = r.Pick(Words);
        return new QaPair("word_length", string.Format(r.Pick(LengthForms), w), ArithmeticQuestions.Num(w.Length));
    }

    /// <summary>How often a letter occurs in a word; the letter is in the word two times out of three.</summary>
    public static QaPair CountLetter(SyntheticRandom r)
    {
        string w = r.Pick(Words);
        char letter = r.Chance(2.0 / 3) ? w[r.Next(w.Length)] : (char)('a' + r.Next(26));
        int count = w.Count(c => c == letter);
        return new QaPair("count_letter", string.Format(r.Pick(CountForms), w, letter), ArithmeticQuestions.Num(count));
    }

    private static string[] BuildWords()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { ExtraWords, StoryLexicon.Places, StoryLexicon.Objects, StoryLexicon.Colors, StoryLexicon.Foods,
                     StoryLexicon.HappyFeelings, StoryLexicon.SadFeelings, StoryLexicon.CharacterTraits })
            foreach (var w in list)
                if (w.All(char.IsAsciiLetterLower)) set.Add(w);
        return [.. set];
    }
}
