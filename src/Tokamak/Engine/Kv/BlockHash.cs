using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Tokamak.Engine.Kv;

/// <summary>
/// 128-bit identity of a full KV block's contents: SHA-256 (truncated) of the parent block's hash and the block's
/// token ids. The first block's parent is the request's <see cref="Seed"/>, which folds in extra keys (cache salt,
/// LoRA id), so two tenants with different salts never share a chain. SHA-256 rather than a fast non-cryptographic
/// hash because a collision would silently serve another prompt's KV (vLLM made the same switch for the same reason).
/// </summary>
public readonly record struct BlockHash(UInt128 Value)
{
    /// <summary>
    /// Root of a hash chain for requests with the given extra keys. Requests share cached blocks only when their
    /// seeds are equal; <c>Seed(null, null)</c> is the default shared namespace.
    /// </summary>
    public static BlockHash Seed(string? cacheSalt = null, int? loraId = null)
    {
        // Layout: "tokamak-kv-seed" | has-lora byte | lora id (4) | utf-8 salt. Framed so ("a", null) and
        // (null, some id) cannot produce the same bytes.
        string salt = cacheSalt ?? "";
        byte[] bytes = new byte[16 + 1 + 4 + Encoding.UTF8.GetByteCount(salt) + 1];
        Encoding.ASCII.GetBytes("tokamak-kv-seed\0", bytes);
        bytes[16] = loraId.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(17), loraId ?? 0);
        bytes[21] = cacheSalt is null ? (byte)0 : (byte)1;
        Encoding.UTF8.GetBytes(salt, bytes.AsSpan(22));
        return new BlockHash(Truncate(SHA256.HashData(bytes)));
    }

    /// <summary>Hash of a full block holding <paramref name="tokens"/> whose predecessor's hash is <paramref name="parent"/>.</summary>
    public static BlockHash Of(BlockHash parent, ReadOnlySpan<int> tokens)
    {
        // [parent (16 bytes) | token ids as little-endian int32]; a block is at most a few hundred tokens, so the
        // message fits on the stack and hashing allocates nothing.
        int len = 16 + tokens.Length * sizeof(int);
        Span<byte> message = len <= 4096 ? stackalloc byte[len] : new byte[len];
        BinaryPrimitives.WriteUInt128LittleEndian(message, parent.Value);
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(tokens).CopyTo(message[16..]);
        else
            for (int i = 0; i < tokens.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(message[(16 + 4 * i)..], tokens[i]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(message, digest);
        return new BlockHash(Truncate(digest));
    }

    private static UInt128 Truncate(ReadOnlySpan<byte> digest) => BinaryPrimitives.ReadUInt128LittleEndian(digest);

    /// <inheritdoc />
    public override string ToString() => Value.ToString("x32");
}
