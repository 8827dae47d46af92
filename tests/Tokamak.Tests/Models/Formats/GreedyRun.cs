using Tokamak.Models.Architectures;

namespace Tokamak.Tests.Models.Formats;

/// <summary>Greedy decoding for comparing two model files.</summary>
internal static class GreedyRun
{
    public static int[] Tokens(LlamaModel m, int[] prompt, int steps)
    {
        using var s = m.CreateState(prompt.Length + steps + 1);
        m.Forward(s, prompt);
        var got = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            got[i] = Argmax(s.Logits);
            m.Forward(s, [got[i]]);
        }
        return got;
    }

    public static int Argmax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
