using System.Runtime.InteropServices;

namespace Tokamak.Tensors;

/// <summary>
/// A 64-byte aligned block of unmanaged memory. Activations, KV caches and converted weights live here so the GC
/// never moves or scans them and SIMD loads are aligned.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private void* _ptr;

    /// <summary>Allocates <paramref name="bytes"/> zeroed bytes aligned to 64.</summary>
    public NativeBuffer(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ByteLength = bytes;
        _ptr = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        NativeMemory.Clear(_ptr, (nuint)Math.Max(bytes, 64));
    }

    /// <summary>Allocates room for <paramref name="count"/> floats.</summary>
    public static NativeBuffer Floats(long count) => new(count * sizeof(float));

    /// <summary>Size in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>Start of the memory.</summary>
    public byte* Pointer => _ptr != null ? (byte*)_ptr : throw new ObjectDisposedException(nameof(NativeBuffer));

    /// <summary>The whole buffer as floats.</summary>
    public Span<float> AsFloats() => new(Pointer, checked((int)(ByteLength / sizeof(float))));

    /// <summary>A float slice of the buffer, in floats.</summary>
    public Span<float> Floats(long offset, int count)
    {
        if (offset < 0 || count < 0 || (offset + count) * sizeof(float) > ByteLength)
            throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<float>((float*)Pointer + offset, count);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ptr != null)
        {
            NativeMemory.AlignedFree(_ptr);
            _ptr = null;
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if the owner forgot to.</summary>
    ~NativeBuffer() => Dispose();
}
