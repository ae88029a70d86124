// The header of a Parley backup file (docs/backup.md, "Format"): 72 bytes in the clear, bound into every chunk.
//
//   magic        8   "PARLEYBK"
//   version      2   1 (big-endian)
//   key kind     1   1 = backup key, 2 = passphrase (Argon2id), 3 = link key (a device link's history bundle)
//   reserved     1   0
//   chunk size   4   plaintext bytes per chunk, 1 KiB .. 1 MiB
//   memory KiB   4   Argon2id memory (passphrase only, else 0), 8 KiB .. 1 GiB
//   passes       4   Argon2id passes (passphrase only, else 0), 1 .. 16
//   salt        16   random per file
//   key check   32   HKDF-SHA256(root, salt, "parley backup v1 key check")
using System.Buffers.Binary;

namespace Parley.Client.Backup;

/// <summary>How a backup's root key is made.</summary>
public enum BackupKeyKind : byte
{
    /// <summary>A random 256-bit backup key shown to the person.</summary>
    Key = 1,

    /// <summary>Argon2id over a passphrase.</summary>
    Passphrase = 2,

    /// <summary>A random 256-bit key that a device link carries to the new device, inside the approval's HPKE
    /// ciphertext: the file is a history bundle (docs/device-linking.md), never a backup.</summary>
    LinkKey = 3,
}

/// <summary>A backup file's header.</summary>
/// <param name="KeyKind">How the root key is made.</param>
/// <param name="ChunkSize">Plaintext bytes per chunk (the last chunk may hold fewer).</param>
/// <param name="MemoryKiB">Argon2id memory in KiB, 0 for a backup key.</param>
/// <param name="Passes">Argon2id passes, 0 for a backup key.</param>
/// <param name="Salt">16 random bytes.</param>
/// <param name="KeyCheck">32 bytes derived from the root key, telling a wrong key from a damaged file.</param>
public sealed record BackupHeader(BackupKeyKind KeyKind, int ChunkSize, int MemoryKiB, int Passes, byte[] Salt, byte[] KeyCheck)
{
    /// <summary>The format version this Parley writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>The header's length in bytes.</summary>
    public const int Size = 72;

    /// <summary>The chunk size Parley writes.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    internal const int SaltSize = 16;
    internal const int KeyCheckSize = 32;
    internal const int MinChunkSize = 1024;
    internal const int MaxChunkSize = 1024 * 1024;
    private const int MaxMemoryKiB = 1024 * 1024;
    private const int MaxPasses = 16;

    private static ReadOnlySpan<byte> Magic => "PARLEYBK"u8;

    /// <summary>The header's 72 bytes.</summary>
    public byte[] Encode()
    {
        byte[] bytes = new byte[Size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], Version);
        span[10] = (byte)KeyKind;
        BinaryPrimitives.WriteInt32BigEndian(span[12..], ChunkSize);
        BinaryPrimitives.WriteInt32BigEndian(span[16..], MemoryKiB);
        BinaryPrimitives.WriteInt32BigEndian(span[20..], Passes);
        Salt.CopyTo(span[24..]);
        KeyCheck.CopyTo(span[40..]);
        return bytes;
    }

    /// <summary>Reads a header from the first bytes of a file; every field is checked against its bounds before
    /// anything else reads it. Throws <see cref="BackupFormatException"/>.</summary>
    public static BackupHeader Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new BackupFormatException(BackupProblem.NotABackup, "This file is not a Parley backup.");
        }
        if (bytes.Length < 10)
        {
            throw new BackupFormatException("The backup's header is cut short.");
        }
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(bytes[8..]);
        if (version != Version)
        {
            throw new BackupFormatException(BackupProblem.UnsupportedVersion,
                $"This backup has format version {version}; this Parley reads version {Version}. Use the Parley that made it.");
        }
        if (bytes.Length < Size)
        {
            throw new BackupFormatException("The backup's header is cut short.");
        }
        var kind = (BackupKeyKind)bytes[10];
        int chunkSize = BinaryPrimitives.ReadInt32BigEndian(bytes[12..]);
        int memory = BinaryPrimitives.ReadInt32BigEndian(bytes[16..]);
        int passes = BinaryPrimitives.ReadInt32BigEndian(bytes[20..]);
        bool valid = bytes[11] == 0
            && chunkSize is >= MinChunkSize and <= MaxChunkSize
            && kind switch
            {
                BackupKeyKind.Key or BackupKeyKind.LinkKey => memory == 0 && passes == 0,
                BackupKeyKind.Passphrase => memory is >= 8 and <= MaxMemoryKiB && passes is >= 1 and <= MaxPasses,
                _ => false,
            };
        if (!valid)
        {
            throw new BackupFormatException("The backup's header is damaged.");
        }
        return new BackupHeader(kind, chunkSize, memory, passes, bytes.Slice(24, SaltSize).ToArray(), bytes.Slice(40, KeyCheckSize).ToArray());
    }
}
