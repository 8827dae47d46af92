using System.Text.Json.Nodes;

namespace Tokamak.Data;

/// <summary>
/// One row of a raw dataset file before unification: a JSON object (CSV/xlsx/text rows become objects of strings)
/// plus where it came from, so every later drop or error can name the file and line.
/// </summary>
/// <param name="Source">File name (or caller-given stream name) the record was read from.</param>
/// <param name="Line">1-based line where the record starts (text formats) or the sheet row number (xlsx).</param>
/// <param name="Fields">The record's fields.</param>
public sealed record RawRecord(string Source, long Line, JsonObject Fields)
{
    /// <summary>"file:line", the prefix used in every message about this record.</summary>
    public string Location => $"{Source}:{Line}";
}
