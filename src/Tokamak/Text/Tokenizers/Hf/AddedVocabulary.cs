namespace Tokamak.Text.Tokenizers.Hf;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);

/// <summary>
/// Finds added tokens in text the way Rust's <c>AddedVocabulary</c> does: tokens with <c>normalized: false</c>
/// are matched in the raw text first; the remaining text is normalized and then searched for the tokens with
/// <c>normalized: true</c>, whose patterns are their content run through the same normalizer (so with a
/// Prepend("▁") normalizer <c>&lt;unk&gt;</c> is found as <c>▁&lt;unk&gt;</c>). Matching is leftmost-longest;
/// <c>single_word</c> rejects matches inside words; <c>lstrip</c>/<c>rstrip</c> absorb adjacent whitespace.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Matcher _raw;
    private readonly Matcher _normalized;

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, HfNormalizer? normalizer)
    {
        _raw = new Matcher(tokens.Where(t => !t.Normalized || normalizer is null).Select(t => (t.Content, t)));
        _normalized = new Matcher(tokens.Where(t => t.Normalized && normalizer is not null)
            .Select(t => (normalizer!.Normalize(t.Content), t)));
    }

    public bool IsEmpty => _raw.IsEmpty && _normalized.IsEmpty;

    /// <summary>Splits raw text at tokens matched without normalization: (text, null) or (content, token).</summary>
    public void SplitRaw(string text, List<(string Text, AddedToken? Token)> output) => _raw.Split(text, output);

    /// <summary>Splits already-normalized text at normalized tokens.</summary>
    public void SplitNormalized(string text, List<(string Text, AddedToken? Token)> output) => _normalized.Split(text, output);

    /// <summary>A char trie of patterns with leftmost-longest search.</summary>
    private sealed class Matcher
    {
        private sealed class Node
        {
            public Dictionary<char, Node>? Children;
            public AddedToken? Token;
        }

        private readonly Node _root = new();

        public Matcher(IEnumerable<(string Pattern, AddedToken Token)> patterns)
        {
            foreach (var (pattern, token) in patterns)
            {
                if (pattern.Length == 0) continue;
                var node = _root;
                foreach (char c in pattern)
                {
                    node.Children ??= new Dictionary<char, Node>();
                    if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                    node = child;
                }
                node.Token ??= token; // first definition wins on duplicate content
                IsEmpty = false;
            }
        }

        public bool IsEmpty { get; } = true;

        private (int Length, AddedToken? Token) LongestAt(string text, int start)
        {
            var node = _root;
            (int, AddedToken?) best = (0, null);
            for (int i = start; i < text.Length; i++)
            {
                if (node.Children is null || !node.Children.TryGetValue(text[i], out node)) break;
                if (node.Token is not null) best = (i - start + 1, node.Token);
            }
            return best;
        }

        public void Split(string text, List<(string, AddedToken?)> output)
        {
            if (IsEmpty || text.Length == 0)
            {
                if (text.Length > 0) output.Add((text, null));
                return;
            }
            int emitted = 0; // end of the text already assigned to an output piece
            int i = 0;
            while (i < text.Length)
            {
                var (length, token) = LongestAt(text, i);
                if (token is null) { i++; continue; }
                int start = i, stop = i + length;
                if (token.SingleWord && !IsSingleWord(text, start, stop)) { i = stop; continue; } // Rust drops the match, keeps scanning after it
                if (token.LStrip)
                {
                    int s = start;
                    while (s > emitted && char.IsWhiteSpace(text[s - 1])) s--;
                    start = s;
                }
                if (token.RStrip)
                    while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
                if (start > emitted) output.Add((text[emitted..start], null));
                output.Add((token.Content, token));
                emitted = stop;
                i = stop;
            }
            if (emitted < text.Length) output.Add((text[emitted..], null));
        }

        private static bool IsSingleWord(string text, int start, int stop)
        {
            bool wordBefore = start > 0 && IsWordChar(text[start - 1]);
            bool wordAfter = stop < text.Length && IsWordChar(text[stop]);
            return !wordBefore && !wordAfter;
        }

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }
}
