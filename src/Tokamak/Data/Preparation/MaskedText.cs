using System.Text;
using Tokamak.Text.Tokenizers;

namespace Tokamak.Data.Preparation;

/// <summary>Shows a rendered example as text with the tokens that do not count towards the loss wrapped in markers.</summary>
public static class MaskedText
{
    /// <summary>Opening marker of a masked (not trained) span.</summary>
    public const string Open = "⟦";

    /// <summary>Closing marker of a masked span.</summary>
    public const string Close = "⟧";

    /// <summary>
    /// Decodes <paramref name="ids"/> run by run (a run = consecutive tokens with the same mask value) and wraps the
    /// masked runs in ⟦ ⟧. Decoding per run keeps the boundary exact at token level.
    /// </summary>
    public static string Format(Tokenizer tokenizer, ReadOnlySpan<int> ids, ReadOnlySpan<bool> lossMask)
    {
        if (ids.Length != lossMask.Length) throw new ArgumentException($"{ids.Length} ids but {lossMask.Length} mask entries");
        var sb = new StringBuilder();
        for (int start = 0; start < ids.Length;)
        {
            int end = start;
            while (end < ids.Length && lossMask[end] == lossMask[start]) end++;
            string text = tokenizer.Decode(ids[start..end]);
            if (lossMask[start]) sb.Append(text);
            else sb.Append(Open).Append(text).Append(Close);
            start = end;
        }
        return sb.ToString();
    }
}
