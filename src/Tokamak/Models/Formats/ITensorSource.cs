using Tokamak.Tensors;

namespace Tokamak.Models.Formats;

/// <summary>A set of named weight tensors read from one or more files.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>All tensor names.</summary>
    IEnumerable<string> Names { get; }

    /// <summary>The tensor called <paramref name="name"/>, or null when absent.</summary>
    Tensor? Find(string name);
}
