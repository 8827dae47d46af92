namespace Tokamak.Data.Formats;

/// <summary>Record layouts LLaMA-Factory understands.</summary>
public enum DatasetFormat
{
    /// <summary>instruction / input / output (+ optional history, system, tools).</summary>
    Alpaca,
    /// <summary>A list of {from, value} messages.</summary>
    ShareGpt,
    /// <summary>A list of {role, content} messages (ShareGPT with OpenAI tag names).</summary>
    OpenAi,
}
