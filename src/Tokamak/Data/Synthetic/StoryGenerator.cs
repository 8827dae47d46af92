using System.Text;
using static Tokamak.Data.Synthetic.StoryLexicon;

namespace Tokamak.Data.Synthetic;

/// <summary>
/// Short children's stories from a small grammar: a cast (a hero and a friend with fixed names and pronouns), a place,
/// an object and a feeling are drawn once per story, then one of several plots (lost and found, a storm, a gift,
/// learning a skill, sharing food) is told with varied phrasings. Every later mention of a character reuses the
/// name and pronouns drawn at the start, so the stories stay coherent.
/// </summary>
public static class StoryGenerator
{
    private delegate void Plot(SyntheticRandom r, Cast c, List<string> s);

    private static readonly Plot[] Plots = [LostAndFound, Storm, Gift, LearnSkill, Sharing];

    /// <summary>The things one story is about.</summary>
    private sealed record Cast(StoryCharacter Hero, StoryCharacter Friend, string Place, string Obj, string Color, string Trait);

    /// <summary>Generates one story (a few sentences, one paragraph, no trailing newline).</summary>
    public static string Generate(SyntheticRandom rng)
    {
        var hero = Character(rng);
        var cast = new Cast(hero, Character(rng, hero.Name), rng.Pick(Places), rng.Pick(Objects), rng.Pick(Colors), rng.Pick(CharacterTraits));
        var sentences = new List<string>();
        Introduce(rng, cast, sentences);
        rng.Pick(Plots)(rng, cast, sentences);
        var sb = new StringBuilder();
        foreach (var s in sentences)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(s);
        }
        return sb.ToString();
    }

    private static void Introduce(SyntheticRandom r, Cast c, List<string> s)
    {
        var h = c.Hero;
        switch (r.Next(3))
        {
            case 0:
                s.Add($"{r.Pick(Openings)}, there was {A(c.Trait)} {h.Kind} named {h.Name}.");
                break;
            case 1:
                s.Add($"{h.Name} was {A(c.Trait)} {h.Kind}.");
                break;
            default:
                s.Add($"{r.Pick(Openings)}, {A(c.Trait)} {h.Kind} called {h.Name} lived near the {c.Place}.");
                break;
        }
        if (r.Chance(0.5)) s.Add($"{Cap(h.Subject)} liked to play with {h.Possessive} friend {c.Friend.Name}, {A(c.Friend.Kind)}.");
    }

    private static void LostAndFound(SyntheticRandom r, Cast c, List<string> s)
    {
        var (h, f) = (c.Hero, c.Friend);
        s.Add($"{Cap(h.Subject)} had {A(c.Color)} {c.Obj} that {h.Subject} loved very much.");
        s.Add($"{r.Pick(Times)}, {h.Name} took the {c.Obj} to the {c.Place}.");
        s.Add(r.Chance(0.5)
            ? $"{Cap(h.Subject)} played for a long time, but then the {c.Obj} was gone!"
            : $"When {h.Subject} looked around, {h.Possessive} {c.Obj} was not there anymore.");
        string sad = r.Pick(SadFeelings);
        s.Add($"{h.Name} felt {sad}.");
        s.Add($"{f.Name} the {f.Kind} saw {h.ObjectPronoun} and asked, \"Why are you {sad}, {h.Name}?\"");
        s.Add($"\"I lost my {c.Obj},\" said {h.Name}.");
        s.Add(r.Chance(0.5) ? $"\"I will help you look,\" said {f.Name}." : $"\"Let us find it together,\" {f.Name} said.");
        s.Add($"They looked everywhere. At last, {f.Name} found the {c.Obj} {r.Pick(HidingSpots)}.");
        s.Add($"{h.Name} was so {r.Pick(HappyFeelings)}. \"Thank you, {f.Name}!\" {h.Subject} said.");
        s.Add(r.Chance(0.5) ? $"From that day on, {h.Name} and {f.Name} were best friends." : $"Then they played with the {c.Obj} until the sun went down.");
    }

    private static void Storm(SyntheticRandom r, Cast c, List<string> s)
    {
        var (h, f) = (c.Hero, c.Friend);
        s.Add($"{r.Pick(Times)}, {h.Name} and {f.Name} went to the {c.Place} to play.");
        s.Add(r.Chance(0.5) ? "Suddenly, the sky turned dark and it began to rain." : "Soon, big clouds came and the wind blew hard.");
        string scared = r.Pick(SadFeelings);
        s.Add($"{f.Name} felt {scared}.");
        s.Add($"{h.Name} held {f.Possessive} hand and said, \"Do not be {scared}. We can hide {r.Pick(HidingSpots)}.\"");
        s.Add("They waited and waited.");
        s.Add(r.Chance(0.5) ? "After a while, the rain stopped and the sun came out." : "Then the clouds went away and a rainbow filled the sky.");
        s.Add($"{f.Name} smiled at {h.Name}. \"You are a good friend,\" {f.Subject} said.");
        s.Add($"{h.Name} felt {r.Pick(HappyFeelings)}, and they walked home together.");
    }

    private static void Gift(SyntheticRandom r, Cast c, List<string> s)
    {
        var (h, f) = (c.Hero, c.Friend);
        s.Add($"{r.Pick(Times)}, {h.Name} remembered that it was {f.Name}'s birthday.");
        s.Add($"{Cap(h.Subject)} wanted to give {f.ObjectPronoun} something special.");
        s.Add($"{h.Name} went to the {c.Place} and found {A(c.Color)} {c.Obj}.");
        s.Add(r.Chance(0.5) ? $"{Cap(h.Subject)} wrapped it with care." : $"{Cap(h.Subject)} put it in a little box.");
        s.Add($"When {f.Name} opened the gift, {f.Subject} was very {r.Pick(HappyFeelings)}.");
        s.Add($"\"I love it!\" said {f.Name}. \"Thank you, {h.Name}.\"");
        s.Add(r.Chance(0.5) ? $"{h.Name} smiled. Giving a gift made {h.ObjectPronoun} happy too." : $"They played with the {c.Obj} all day long.");
    }

    private static void LearnSkill(SyntheticRandom r, Cast c, List<string> s)
    {
        var (h, f) = (c.Hero, c.Friend);
        var (skill, success) = r.Pick(Skills);
        s.Add($"{h.Name} wanted to learn to {skill}.");
        s.Add($"The first time {h.Subject} tried, {h.Subject} fell down.");
        s.Add($"{h.Name} felt {r.Pick(SadFeelings)} and wanted to give up.");
        s.Add($"{f.Name} came to the {c.Place} and said, \"Try again, {h.Name}. You can do it!\"");
        s.Add(r.Chance(0.5) ? $"So {h.Name} tried again, and again." : $"{h.Name} took a deep breath and tried one more time.");
        s.Add($"At last, {h.Subject} {success}!");
        s.Add($"{h.Name} was very {r.Pick(HappyFeelings)}, and {f.Name} clapped {f.Possessive} hands.");
        s.Add(r.Chance(0.5) ? "If you keep trying, you can learn new things." : $"That night, {h.Name} went to bed with a big smile.");
    }

    private static void Sharing(SyntheticRandom r, Cast c, List<string> s)
    {
        var (h, f) = (c.Hero, c.Friend);
        string food = r.Pick(Foods);
        int n = r.Between(2, 9);
        s.Add($"{r.Pick(Times)}, {h.Name} had {n} {food} in a basket.");
        s.Add($"{Cap(h.Subject)} sat down at the {c.Place} to eat them.");
        s.Add($"Then {h.Subject} saw {f.Name}. {f.Name} looked hungry and {r.Pick(SadFeelings)}.");
        s.Add($"{h.Name} thought for a moment. Then {h.Subject} said, \"Would you like some of my {food}?\"");
        s.Add($"{f.Name} nodded. \"Yes, please!\"");
        s.Add($"So {h.Name} shared the {food} with {f.ObjectPronoun}.");
        s.Add($"The two friends ate together and felt {r.Pick(HappyFeelings)}.");
        if (r.Chance(0.5)) s.Add("Sharing is a kind thing to do.");
    }
}
