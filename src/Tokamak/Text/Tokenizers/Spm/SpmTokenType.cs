namespace Tokamak.Text.Tokenizers.Spm;

/// <summary>GGUF <c>tokenizer.ggml.token_type</c> values (SentencePiece piece types).</summary>
internal enum SpmTokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
