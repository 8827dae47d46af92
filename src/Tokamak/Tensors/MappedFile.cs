using System.IO.MemoryMappedFiles;

namespace Tokamak.Tensors;

/// <summary>
/// A read-only memory map of a whole file. Weight tensors point straight into it, so a 1 GB model costs page
/// cache, not managed heap, and loads instantly.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _ptr;

    /// <summary>Maps <paramref name="path"/> read-only.</summary>
    public MappedFile(string path)
    {
        Path = path;
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"file not found: {path}", path);
        Length = info.Length;
        if (Length == 0) return;
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _ptr);
        _ptr += _view.PointerOffset;
    }

    /// <summary>The mapped file's path.</summary>
    public string Path { get; }

    /// <summary>File size in bytes.</summary>
    public long Length { get; }

    /// <summary>First byte of the file.</summary>
    public byte* Pointer => _ptr;

    /// <summary>A bounds-checked view of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int length)
    {
        CheckRange(offset, length);
        return new ReadOnlySpan<byte>(_ptr + offset, length);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when [offset, offset+length) lies outside the file.</summary>
    public void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new InvalidDataException(
                $"{System.IO.Path.GetFileName(Path)}: data at [{offset}, {offset + length}) lies beyond the end of the file ({Length} bytes); the file is truncated or corrupt");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_view != null && _ptr != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _ptr = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
