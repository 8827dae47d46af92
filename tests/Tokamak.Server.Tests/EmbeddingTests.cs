using System.Text.Json.Nodes;

namespace Tokamak.Server.Tests;

/// <summary>Embeddings: mean-pooled final hidden states, normalized, through the OpenAI client (base64) and raw (float).</summary>
public sealed class EmbeddingTests(ChatServerFixture f) : IClassFixture<ChatServerFixture>
{
    /// <summary>normalize(mean over positions of the final hidden states), computed from ForwardHidden directly.</summary>
    private float[] Expected(string text)
    {
        var m = f.Reference.Model;
        var ids = f.Reference.Tokenizer.Encode(text);
        int h = m.Config.HiddenSize;
        var hidden = new float[ids.Length * h];
        using (var s = m.CreateState(ids.Length, ids.Length)) m.ForwardHidden(s, ids, hidden);
        var v = new double[h];
        for (int t = 0; t < ids.Length; t++)
            for (int j = 0; j < h; j++) v[j] += hidden[t * h + j];
        double norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => (float)(x / norm)).ToArray();
    }

    [Fact]
    public async Task Client_embedding_equals_pooled_hidden_states()
    {
        const string text = "A small boat sailed on the lake.";
        var e = await f.Server.Embeddings().GenerateEmbeddingAsync(text);
        var got = e.Value.ToFloats().ToArray();
        var want = Expected(text);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 5);
    }

    [Fact]
    public async Task Float_format_batch_is_unit_norm_and_matches()
    {
        var json = await Raw.PostJsonAsync(f.Server.Http, "/v1/embeddings", new JsonObject
        {
            ["model"] = "test-model",
            ["input"] = new JsonArray("one fish", "two fish, red fish"),
            ["encoding_format"] = "float",
        });
        var data = json["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        var v1 = data[1]!["embedding"]!.AsArray().Select(x => (float)x!).ToArray();
        Assert.Equal(1.0, Math.Sqrt(v1.Sum(x => (double)x * x)), 4);
        var want = Expected("two fish, red fish");
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], v1[i], 5);
    }

    [Fact]
    public unsafe void ForwardHidden_last_row_times_the_tied_embedding_gives_the_forward_logits()
    {
        // Independent check of the hidden states: the LM head (tied to the embedding matrix in this model) applied
        // to the last hidden state must give what Forward leaves in Logits.
        var m = f.Reference.Model;
        Assert.True(m.Config.TieWordEmbeddings);
        var ids = f.Reference.Tokenizer.Encode("The princess found a key");
        int h = m.Config.HiddenSize, vocab = m.Config.VocabSize;
        var hidden = new float[ids.Length * h];
        using (var s = m.CreateState(ids.Length, 4)) m.ForwardHidden(s, ids, hidden);
        using var s2 = m.CreateState(ids.Length, 4);
        m.Forward(s2, ids);
        var emb = m.Weights.Embedding;
        var row = new float[h];
        for (int v = 0; v < vocab; v++)
        {
            Tokamak.Tensors.Kernels.Dequant.Row(emb.DType, emb.Row(v), row);
            double dot = 0;
            for (int j = 0; j < h; j++) dot += (double)row[j] * hidden[(ids.Length - 1) * h + j];
            Assert.Equal(s2.Logits[v], dot, 3);
        }
    }
}
