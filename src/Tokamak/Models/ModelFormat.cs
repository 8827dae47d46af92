namespace Tokamak.Models;

/// <summary>On-disk model formats Tokamak reads.</summary>
public enum ModelFormat
{
    /// <summary>A Hugging Face folder: config.json + *.safetensors (+ tokenizer.json).</summary>
    HuggingFace,
    /// <summary>A single GGUF file with embedded config and vocabulary.</summary>
    Gguf,
    /// <summary>A llama2.c run.c checkpoint (.bin) with a tokenizer.bin beside it.</summary>
    Llama2c,
}
