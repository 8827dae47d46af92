using System.Runtime.InteropServices;
using Tokamak.Models;
using Tokamak.Models.Formats;
using Tokamak.Tensors;

namespace Tokamak.Tests.Models.Formats;

public sealed unsafe class GgufWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokamak-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertSameValue(object want, object got, string key)
    {
        if (want is Array wa)
        {
            var ga = Assert.IsAssignableFrom<Array>(got);
            Assert.Equal(wa.Length, ga.Length);
            for (int i = 0; i < wa.Length; i++) AssertSameValue(wa.GetValue(i)!, ga.GetValue(i)!, $"{key}[{i}]");
            return;
        }
        Assert.True(want.GetType() == got.GetType(), $"{key}: type {got.GetType().Name}, want {want.GetType().Name}");
        Assert.True(want.Equals(got), $"{key}: {got} != {want}");
    }

    [Fact]
    public void MetadataOfEveryTypeAndTensorBytesRoundTrip()
    {
        var meta = new (string Key, object Value)[]
        {
            ("general.architecture", "llama"), ("u8", (byte)200), ("i8", (sbyte)-5), ("u16", (ushort)60000),
            ("i16", (short)-30000), ("u32", 4_000_000_000u), ("i32", -2_000_000_000), ("f32", 3.25f), ("bool", true),
            ("str", "héllo ▁wörld"), ("u64", ulong.MaxValue), ("i64", long.MinValue), ("f64", Math.PI),
            ("arr.str", new[] { "a", "", "ü" }), ("arr.f32", new[] { 1.5f, -2f }), ("arr.i32", new[] { 1, -2, 3 }),
            ("arr.u32", new uint[] { 7, 8 }), ("arr.u8", new object[] { (byte)1, (byte)2 }), ("arr.bool", new object[] { true, false }),
            ("arr.f64", new object[] { 1.0, 2.5 }), ("arr.nested", new object[] { new[] { 1, 2 }, new[] { 3 } }),
            ("arr.empty", Array.Empty<string>()),
        };
        var w = new GgufWriter();
        foreach (var (k, v) in meta) w.Set(k, v);
        var rng = new Random(5);
        var tensors = new (string Name, DType Type, long[] Shape, byte[] Bytes)[]
        {
            ("a", DType.F32, [3, 5], new byte[60]), ("b", DType.Q4_K, [2, 256], new byte[2 * 144]),
            ("c", DType.Q5_0, [32], new byte[22]), ("d", DType.BF16, [7], new byte[14]), ("e", DType.Q6_K, [1, 1, 256], new byte[210]),
        };
        foreach (var t in tensors)
        {
            rng.NextBytes(t.Bytes);
            w.AddTensor(t.Name, t.Type, t.Shape, t.Bytes);
        }
        string path = Path.Combine(_dir, "rt.gguf");
        w.Write(path);

        using var g = new GgufFile(path);
        Assert.Equal(3u, g.Version);
        Assert.Equal(meta.Select(m => m.Key).Order(), g.Metadata.Keys.Order());
        foreach (var (k, v) in meta) AssertSameValue(v, g.Metadata[k], k);
        Assert.Equal(tensors.Select(t => t.Name), g.Names);
        byte* first = g.Find("a")!.Data;
        foreach (var t in tensors)
        {
            var got = g.Find(t.Name)!;
            Assert.Equal(t.Type, got.DType);
            Assert.Equal(t.Shape, got.Shape);
            Assert.Equal(t.Bytes, new ReadOnlySpan<byte>(got.Data, (int)got.ByteLength).ToArray());
            Assert.Equal(0, (got.Data - first) % 32);
        }
    }

    [Fact]
    public void RewrittenStoriesGgufLoadsAndGivesTheSameGreedyTokens()
    {
        string src = TestPaths.Model("stories260k/stories260K.gguf");
        string dst = Path.Combine(_dir, "copy.gguf");
        using (var g = new GgufFile(src))
        {
            var w = new GgufWriter();
            foreach (var (k, v) in g.Metadata) w.Set(k, v);
            foreach (var name in g.Names) w.AddTensor(g.Find(name)!);
            w.Write(dst);
        }
        using var a = ModelLoader.Load(src);
        using var b = ModelLoader.Load(dst);
        var prompt = a.Tokenizer.Encode("Once upon a time, there was a little");
        Assert.Equal(prompt, b.Tokenizer.Encode("Once upon a time, there was a little"));
        var want = GreedyRun.Tokens(a.Model, prompt, 24);
        Assert.Equal(want, GreedyRun.Tokens(b.Model, prompt, 24));
        using (var ga = new GgufFile(src))
        using (var gb = new GgufFile(dst))
        {
            Assert.Equal(ga.Metadata.Keys, gb.Metadata.Keys);
            foreach (var name in ga.Names)
            {
                var ta = ga.Find(name)!; var tb = gb.Find(name)!;
                Assert.True(new ReadOnlySpan<byte>(ta.Data, (int)ta.ByteLength).SequenceEqual(new ReadOnlySpan<byte>(tb.Data, (int)tb.ByteLength)), name);
            }
        }
    }

    [Fact]
    public void WrongByteCountNamesTheTensor()
    {
        var w = new GgufWriter();
        w.AddTensor("blk.0.attn_q.weight", DType.Q8_0, [2, 32], new byte[67]);
        var e = Assert.Throws<InvalidDataException>(() => w.Write(Path.Combine(_dir, "bad.gguf")));
        Assert.Contains("blk.0.attn_q.weight", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "bad.gguf")));
    }

    [Fact]
    public void RowNotAWholeNumberOfBlocksNamesTheTensor()
    {
        var w = new GgufWriter();
        var e = Assert.Throws<ArgumentException>(() => w.AddTensor("output.weight", DType.Q4_K, [4, 896], new byte[10]));
        Assert.Contains("output.weight", e.Message);
        Assert.Contains("q4_k", e.Message);
    }

    [Fact]
    public void UnsupportedMetadataTypeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new GgufWriter().Set("x", new DateTime(2000, 1, 1)));
        Assert.Contains("'x'", e.Message);
        Assert.Throws<ArgumentException>(() => new GgufWriter().Set("mixed", new object[] { 1, "a" }));
    }

    [Fact]
    public void ReaderNamesATensorWhoseSizeDoesNotMatchItsType()
    {
        // Write a valid F32 [1, 64] tensor, then patch its type id to Q4_K (rows must be multiples of 256).
        var w = new GgufWriter();
        w.AddTensor("tok.weight", DType.F32, [1, 64], new byte[256]);
        string path = Path.Combine(_dir, "patched.gguf");
        w.Write(path);
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("tok.weight"u8) + "tok.weight".Length + 4 + 2 * 8;
        Assert.Equal(0u, MemoryMarshal.Read<uint>(bytes.AsSpan(at)));
        MemoryMarshal.Write(bytes.AsSpan(at), 12u);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => new GgufFile(path).Dispose());
        Assert.Contains("tok.weight", e.Message);
        Assert.Contains("Q4_K", e.Message);
    }
}
