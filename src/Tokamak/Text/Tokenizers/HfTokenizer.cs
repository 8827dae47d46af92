using System.Text;
using System.Text.Json;
using Tokamak.Text.Tokenizers.Hf;

namespace Tokamak.Text.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> tokenizer with a BPE model (byte-level like Qwen/Llama 3, or
/// SentencePiece-style with byte fallback like Llama 2/TinyStories), reproducing the Rust <c>tokenizers</c>
/// pipeline: added tokens → normalizer → pre-tokenizer → BPE → post-processor, and decoders on the way back.
/// <c>clean_up_tokenization_spaces</c> comes from <c>tokenizer_config.json</c> (false when no config is given).
/// Thread-safe for concurrent Encode/Decode.
/// </summary>
public sealed class HfTokenizer : Tokenizer
{
    private readonly BpeModel _model;
    private readonly HfNormalizer? _normalizer;
    private readonly HfPreTokenizer? _preTokenizer;
    private readonly HfPostProcessor _postProcessor;
    private readonly HfDecoder? _decoder;
    private readonly AddedVocabulary _addedVocabulary;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly Dictionary<string, int> _addedByContent = new(StringComparer.Ordinal);
    private readonly string?[] _idToToken;
    private readonly StreamPlan? _streamPlan;
    private readonly byte[]?[] _pieceBytes;

    private HfTokenizer(JsonElement root, JsonElement? config)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json: no \"model\" object");
        _model = BpeModel.FromJson(model);
        _normalizer = HfNormalizer.FromJson(HfJson.Child(root, "normalizer"));
        _preTokenizer = HfPreTokenizer.FromJson(HfJson.Child(root, "pre_tokenizer"));
        _postProcessor = HfPostProcessor.FromJson(HfJson.Child(root, "post_processor"));
        _decoder = HfDecoder.FromJson(HfJson.Child(root, "decoder"));

        var added = new List<AddedToken>();
        if (HfJson.Child(root, "added_tokens") is { ValueKind: JsonValueKind.Array } addedJson)
        {
            foreach (var t in addedJson.EnumerateArray())
            {
                var token = new AddedToken(
                    HfJson.Int(t, "id", -1), HfJson.RequiredString(t, "content", "added token"), HfJson.Bool(t, "special", false),
                    HfJson.Bool(t, "normalized", true), HfJson.Bool(t, "lstrip", false), HfJson.Bool(t, "rstrip", false),
                    HfJson.Bool(t, "single_word", false));
                if (token.Id < 0) throw new InvalidDataException($"tokenizer.json: added token \"{token.Content}\" has no id");
                added.Add(token);
                _addedById[token.Id] = token;
                _addedByContent.TryAdd(token.Content, token.Id);
            }
        }
        _addedVocabulary = new AddedVocabulary(added, _normalizer);

        int size = 0;
        foreach (var id in _model.Vocab.Values) size = Math.Max(size, id + 1);
        foreach (var id in _addedById.Keys) size = Math.Max(size, id + 1);
        _idToToken = new string?[size];
        foreach (var (token, id) in _model.Vocab) _idToToken[id] = token;
        foreach (var (id, token) in _addedById) _idToToken[id] = token.Content;

        if (config is { } cfg)
        {
            CleanUpTokenizationSpaces = HfJson.Bool(cfg, "clean_up_tokenization_spaces", false);
            BosId = ConfigTokenId(cfg, "bos_token");
            EosId = ConfigTokenId(cfg, "eos_token");
        }
        BosId ??= _postProcessor.Prefix.Length > 0 ? _postProcessor.Prefix[0] : null;
        _streamPlan = StreamPlan.TryCreate(_decoder);
        _pieceBytes = new byte[]?[size];
    }

    /// <summary>Loads <c>tokenizer.json</c> and, if given, <c>tokenizer_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not valid JSON or lacks required fields.</exception>
    /// <exception cref="NotSupportedException">The model or a pipeline component is of an unsupported type.</exception>
    public static HfTokenizer FromFile(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        using var doc = ParseFile(tokenizerJsonPath);
        using var config = tokenizerConfigPath is null ? null : ParseFile(tokenizerConfigPath);
        try
        {
            return new HfTokenizer(doc.RootElement, config?.RootElement);
        }
        catch (InvalidOperationException ex) // a JSON value of the wrong kind
        {
            throw new InvalidDataException($"{tokenizerJsonPath}: unexpected JSON value: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"{tokenizerJsonPath}: unexpected JSON value: {ex.Message}", ex);
        }
    }

    /// <summary>Builds from parsed tokenizer.json / tokenizer_config.json roots (used for GGUF byte-level vocabularies).</summary>
    internal static HfTokenizer FromJson(JsonElement root, JsonElement? config) => new(root, config);

    /// <summary>Loads <c>tokenizer.json</c> (required) and <c>tokenizer_config.json</c> (if present) from a model folder.</summary>
    public static HfTokenizer FromDirectory(string directory)
    {
        string json = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(json)) throw new FileNotFoundException($"no tokenizer.json in {directory}", json);
        string config = Path.Combine(directory, "tokenizer_config.json");
        return FromFile(json, File.Exists(config) ? config : null);
    }

    private static JsonDocument ParseFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: malformed JSON: {ex.Message}", ex);
        }
    }

    private int? ConfigTokenId(JsonElement config, string name)
    {
        if (!config.TryGetProperty(name, out var v)) return null;
        string? content = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object => HfJson.String(v, "content"),
            _ => null,
        };
        return content is null ? null : PieceToId(content);
    }

    /// <summary>Whether <see cref="Decode"/> applies <c>clean_up_tokenization_spaces</c>.</summary>
    public bool CleanUpTokenizationSpaces { get; }

    /// <inheritdoc/>
    public override int VocabSize => _idToToken.Length;

    /// <inheritdoc/>
    public override int? BosId { get; }

    /// <inheritdoc/>
    public override int? EosId { get; }

    /// <inheritdoc/>
    public override int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_postProcessor.Prefix);
        var sections = new List<(string Text, AddedToken? Token)>();
        var normalizedSections = new List<(string Text, AddedToken? Token)>();
        _addedVocabulary.SplitRaw(text, sections);
        bool first = true;
        foreach (var (raw, rawToken) in sections)
        {
            if (rawToken is not null) { ids.Add(rawToken.Id); first = false; continue; }
            string normalized = _normalizer?.Normalize(raw) ?? raw;
            normalizedSections.Clear();
            _addedVocabulary.SplitNormalized(normalized, normalizedSections);
            foreach (var (piece, token) in normalizedSections)
            {
                if (token is not null) { ids.Add(token.Id); first = false; continue; }
                if (_preTokenizer is null) _model.Tokenize(piece, ids);
                else foreach (var word in _preTokenizer.PreTokenize([piece], first)) _model.Tokenize(word, ids);
                first = false;
            }
        }
        if (addSpecialTokens) ids.AddRange(_postProcessor.Suffix);
        return ids.ToArray();
    }

    /// <summary>Rust strings cannot hold lone surrogates; as UTF-8 would, they become U+FFFD.</summary>
    private static string ReplaceLoneSurrogates(string text)
    {
        char[]? copy = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            copy ??= text.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy is null ? text : new string(copy);
    }

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        var isAdded = new List<bool>(ids.Length);
        foreach (int id in ids)
        {
            CheckId(id);
            if (skipSpecialTokens && IsSpecial(id)) continue;
            if (_idToToken[id] is not { } token) continue;
            tokens.Add(token);
            isAdded.Add(_addedById.ContainsKey(id));
        }
        string text = _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder.Decode(tokens, isAdded));
        return CleanUpTokenizationSpaces ? TokenizationSpaces.CleanUp(text) : text;
    }

    /// <inheritdoc/>
    public override string TokenToPiece(int id)
    {
        CheckId(id);
        return _idToToken[id] ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} has no vocabulary entry");
    }

    /// <inheritdoc/>
    public override int? PieceToId(string piece) =>
        _addedByContent.TryGetValue(piece, out int a) ? a : _model.Vocab.TryGetValue(piece, out int v) ? v : null;

    /// <inheritdoc/>
    public override bool IsSpecial(int id) => _addedById.TryGetValue(id, out var t) && t.Special;

    internal override bool SupportsStreaming => _streamPlan is not null;

    internal override bool CleansUpTokenizationSpaces => CleanUpTokenizationSpaces;

    internal override DecodeCursor StartDecode(bool skipSpecialTokens) => DecodeCursor.Start(_streamPlan?.StripOutput ?? 0);

    internal override ReadOnlySpan<byte> NextPieceBytes(int id, bool skipSpecialTokens, ref DecodeCursor cursor)
    {
        var plan = _streamPlan ?? throw new NotSupportedException("this tokenizer.json decoder cannot be streamed");
        CheckId(id);
        if ((skipSpecialTokens && IsSpecial(id)) || _idToToken[id] is not { } token) return default;
        ReadOnlySpan<byte> span = _pieceBytes[id] ??= plan.TokenBytes(token, _addedById.ContainsKey(id));
        if (cursor.Position == 0 && plan.StripFirstToken && span.Length > 0 && span[0] == (byte)' ') span = span[1..];
        cursor.Position++;
        cursor.PreviousId = id;
        while (cursor.PendingStrip > 0 && span.Length > 0)
        {
            if (span[0] == plan.StripByte) { span = span[1..]; cursor.PendingStrip--; }
            else cursor.PendingStrip = 0;
        }
        return span;
    }

    /// <summary>
    /// The decoder chain recast as per-token bytes plus context rules, for chains made of ByteLevel, literal
    /// Replace, ByteFallback, Fuse, Strip (leading, after Fuse or per token) and Metaspace; null otherwise.
    /// A ByteFallback run that is not valid UTF-8 streams as standard U+FFFD replacement (one per maximal invalid
    /// subsequence) where <see cref="Decode"/> gives one U+FFFD per byte, as Rust does.
    /// </summary>
    private sealed class StreamPlan
    {
        private readonly List<HfDecoder> _perToken = [];
        public int StripOutput { get; private set; }
        public byte StripByte { get; private set; } = (byte)' ';
        public bool StripFirstToken { get; private set; }

        public static StreamPlan? TryCreate(HfDecoder? decoder)
        {
            var steps = new List<HfDecoder>();
            Flatten(decoder, steps);
            var plan = new StreamPlan();
            bool fused = false;
            foreach (var step in steps)
            {
                switch (step)
                {
                    case FuseDecoder: fused = true; break;
                    case ByteLevelDecoder or ByteFallbackDecoder:
                    case ReplaceDecoder { Literal: not null }:
                        plan._perToken.Add(step);
                        break;
                    case MetaspaceDecoder m:
                        plan._perToken.Add(step);
                        plan.StripFirstToken |= m.StripFirst;
                        break;
                    case StripDecoder s when s.Stop == 0 && s.Content < 0x80:
                        if (fused) { plan.StripOutput = s.Start; plan.StripByte = (byte)s.Content; }
                        else plan._perToken.Add(step);
                        break;
                    default: return null;
                }
            }
            return plan;
        }

        private static void Flatten(HfDecoder? d, List<HfDecoder> steps)
        {
            if (d is SequenceDecoder seq) foreach (var p in seq.Parts) Flatten(p, steps);
            else if (d is not null) steps.Add(d);
        }

        public byte[] TokenBytes(string token, bool isAdded)
        {
            var bytes = new List<byte>();
            string text = token;
            foreach (var step in _perToken)
            {
                switch (step)
                {
                    case ReplaceDecoder r: text = text.Replace(r.Literal!, r.Content, StringComparison.Ordinal); break;
                    case MetaspaceDecoder m: text = text.Replace(m.Replacement, " ", StringComparison.Ordinal); break;
                    case StripDecoder s:
                        {
                            int k = 0;
                            while (k < s.Start && k < text.Length && text[k] == s.Content) k++;
                            text = text[k..];
                            break;
                        }
                    case ByteFallbackDecoder when ByteFallbackDecoder.TryParseByte(text, out byte b):
                        return [b];
                    case ByteLevelDecoder when !isAdded:
                        if (ByteLevelAlphabet.TryDecode(text, bytes)) return bytes.ToArray();
                        break;
                }
            }
            return Encoding.UTF8.GetBytes(text);
        }
    }
}
