using System.Text.Json;

namespace Tokamak.Data.Readers;

/// <summary>JSON parsing settings shared by the JSON readers: lenient about comments and trailing commas.</summary>
internal static class JsonRecordParsing
{
    public static readonly JsonDocumentOptions Document = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };

    public static readonly JsonReaderOptions Reader = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };
}
