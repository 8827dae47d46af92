using Tokamak.Models;
using Tokamak.Models.Architectures;
using Tokamak.Models.Formats;

namespace Tokamak.Tests.Models.Formats;

public class GgufFileTests
{
    private static string PatchedCopy(int version)
    {
        string path = Path.Combine(Path.GetTempPath(), $"tokamak-v{version}-{Guid.NewGuid():N}.gguf");
        var bytes = File.ReadAllBytes(TestPaths.Model("stories260k/stories260K.gguf"));
        Assert.Equal(3, BitConverter.ToInt32(bytes, 4));
        BitConverter.GetBytes(version).CopyTo(bytes, 4);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void VersionTwoHeaderReadsLikeVersionThree()
    {
        // GGUF v2 and v3 share the layout (v3 only added big-endian files), so the same bytes with version 2 must
        // load to the same config and logits.
        string path = PatchedCopy(2);
        try
        {
            using var v3 = WeightsLoader.Load(TestPaths.Model("stories260k/stories260K.gguf"));
            using var v2 = WeightsLoader.Load(path);
            Assert.Equal(2u, ((GgufFile)v2.Source).Version);
            Assert.Equal(v3.Config.HiddenSize, v2.Config.HiddenSize);
            var a = new LlamaModel(v3.Config, v3.Weights);
            var b = new LlamaModel(v2.Config, v2.Weights);
            using var sa = a.CreateState(8);
            using var sb = b.CreateState(8);
            a.Forward(sa, [1, 403, 407]);
            b.Forward(sb, [1, 403, 407]);
            Assert.Equal(sa.Logits.ToArray(), sb.Logits.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MetadataHasTheModelShape()
    {
        using var g = new GgufFile(TestPaths.Model("stories260k/stories260K.gguf"));
        Assert.Equal("llama", g.Get("general.architecture", ""));
        Assert.Equal(64, g.Get("llama.embedding_length", 0));   // shared/README.md: dim 64
        Assert.Equal(5, g.Get("llama.block_count", 0));         // 5 layers
        Assert.Equal(512, Assert.IsType<string[]>(g.Metadata["tokenizer.ggml.tokens"]).Length); // vocab 512
    }

    [Fact]
    public void UnsupportedVersionIsNamed()
    {
        string path = PatchedCopy(9);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => new GgufFile(path));
            Assert.Contains("version 9", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
