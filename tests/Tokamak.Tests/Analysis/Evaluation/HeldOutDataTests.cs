using Tokamak.Analysis.Evaluation;
using Tokamak.Data.Synthetic;

namespace Tokamak.Tests.Analysis.Evaluation;

public class HeldOutDataTests
{
    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), $"tokamak-eval-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(d, "heldout"));
        return d;
    }

    [Fact]
    public void Load_ReadsWhatTheCorpusWrote_AndDefaultIsTheSameSplit()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokamak-eval-{Guid.NewGuid():N}");
        try
        {
            CorpusWriter.Write(dir, new CorpusOptions { Stories = 10, Questions = 10, Chats = 1, StoryChats = 1, ToolCalls = 1, TokenizerVocabSize = 0 });
            var loaded = HeldOutData.Load(dir);
            var builtIn = HeldOutData.Default();
            Assert.Equal(builtIn.Questions, loaded.Questions);
            Assert.Equal(builtIn.Stories, loaded.Stories);
            Assert.Equal(QaTasks.All.Select(t => t.Name), loaded.Questions.Select(q => q.Task).Distinct());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Select_FiltersTasksAndLimits()
    {
        var data = new HeldOutData([new("a", "1", "x"), new("b", "2", "y"), new("a", "3", "z"), new("c", "4", "w"), new("a", "5", "v")], []);
        Assert.Equal(["1", "3"], data.Select("a,c", 2).Questions.Where(q => q.Task == "a").Select(q => q.Question));
        Assert.Equal(["1", "3", "4"], data.Select("a, c", 2).Questions.Select(q => q.Question));
        Assert.Equal(5, data.Select("default").Questions.Count);
        var e = Assert.Throws<ArgumentException>(() => data.Select("a,nope"));
        Assert.Contains("task 'nope'", e.Message);
    }

    [Fact]
    public void Load_BadFiles_AreClearErrors()
    {
        string dir = TempDir();
        try
        {
            Assert.Throws<FileNotFoundException>(() => HeldOutData.Load(dir));
            File.WriteAllText(Path.Combine(dir, "heldout", "qa.jsonl"), "{\"task\":\"t\",\"question\":\"q\",\"answer\":\"a\"}\n{\"task\":\"t\",\"question\":\"q\"}\n");
            File.WriteAllText(Path.Combine(dir, "heldout", "stories.jsonl"), "{\"text\":\"s\"}\n");
            var e = Assert.Throws<InvalidDataException>(() => HeldOutData.Load(dir));
            Assert.Contains("qa.jsonl:2", e.Message);
            Assert.Contains("\"answer\"", e.Message);
            File.WriteAllText(Path.Combine(dir, "heldout", "qa.jsonl"), "{not json\n");
            Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => HeldOutData.Load(dir)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
