// The plaintext inside a backup file (docs/backup.md, "Contents"): a sequence of records, each
//
//   kind     1   BackupRecordKind
//   length   4   big-endian, at most 64 MiB
//   body     length bytes, in the TLS presentation language of RFC 9420 §2.1
//
// The first record is the manifest. Bodies of contacts, conversations, messages and channels are the store's own
// record encodings (src/Parley.Client/Storage/StoredRecords.cs), so a backup holds what the store holds, no more.
using System.Buffers.Binary;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Client.Backup;

/// <summary>What a backup record holds.</summary>
internal enum BackupRecordKind : byte
{
    Manifest = 1,
    AccountKey = 2,
    Contact = 3,
    Block = 4,
    Conversation = 5,
    Message = 6,
    Channel = 7,
    AttachmentFile = 8,
}

/// <summary>What a backup says about itself: the account and server it belongs to and how much it holds.</summary>
/// <param name="Server">The server the account lives on.</param>
/// <param name="Account">The account's user name.</param>
/// <param name="AccountPublicKey">The account identity public key.</param>
/// <param name="DeviceId">The device that made the backup.</param>
/// <param name="CreatedAt">When the backup was made.</param>
/// <param name="Messages">How many messages it holds.</param>
public sealed record BackupManifest(Uri Server, string Account, byte[] AccountPublicKey, string DeviceId, DateTimeOffset CreatedAt, long Messages)
{
    private const byte Version = 1;

    internal byte[] Encode() => TlsWriter.Encode(w =>
    {
        w.WriteUInt8(Version);
        w.WriteString(Server.AbsoluteUri);
        w.WriteString(Account);
        w.WriteOpaque(AccountPublicKey);
        w.WriteString(DeviceId);
        w.WriteTime(CreatedAt);
        w.WriteUInt64((ulong)Messages);
    });

    internal static BackupManifest Decode(byte[] body) => TlsReader.Decode(body, r =>
    {
        if (r.ReadUInt8() != Version)
        {
            throw new MlsDecodeException("The backup's manifest has an unknown version.");
        }
        var server = Uri.TryCreate(r.ReadString(), UriKind.Absolute, out var uri) ? uri : throw new MlsDecodeException("The backup's server is not an address.");
        string account = r.ReadString();
        byte[] key = r.ReadOpaque();
        if (key.Length != Identity.AccountIdentityKey.PublicKeySize)
        {
            throw new MlsDecodeException("The backup's account key is not 32 bytes.");
        }
        string device = r.ReadString();
        var created = r.ReadTime();
        ulong messages = r.ReadUInt64();
        if (messages > long.MaxValue)
        {
            throw new MlsDecodeException("The backup's message count is out of range.");
        }
        return new BackupManifest(server, account, key, device, created, (long)messages);
    });
}

/// <summary>Writes backup records into the plaintext stream.</summary>
internal sealed class BackupRecordWriter(Stream output)
{
    public void Write(BackupRecordKind kind, ReadOnlySpan<byte> body)
    {
        Span<byte> head = stackalloc byte[5];
        head[0] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(head[1..], checked((uint)body.Length));
        output.Write(head);
        output.Write(body);
    }
}

/// <summary>Reads backup records from the plaintext stream, checking every length against a bound and against what
/// is left before allocating for it.</summary>
internal sealed class BackupRecordReader(Stream input)
{
    /// <summary>The largest record body (an attachment file is one record).</summary>
    public const int MaxBodyLength = 64 * 1024 * 1024;

    private const int Step = 1024 * 1024;

    /// <summary>The next record, or null at the end of the stream.</summary>
    public (BackupRecordKind Kind, byte[] Body)? Next()
    {
        Span<byte> head = stackalloc byte[5];
        int n = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 0)
        {
            return null;
        }
        if (n < head.Length)
        {
            throw new BackupFormatException("The backup's contents end inside a record.");
        }
        var kind = (BackupRecordKind)head[0];
        if (kind is < BackupRecordKind.Manifest or > BackupRecordKind.AttachmentFile)
        {
            throw new BackupFormatException($"The backup holds a record of unknown kind {head[0]}; it may come from a newer Parley.");
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(head[1..]);
        if (length > MaxBodyLength)
        {
            throw new BackupFormatException($"A backup record claims {length} bytes, more than the {MaxBodyLength} allowed.");
        }
        // Grow the body as the bytes arrive: a claimed length alone never allocates more than one step ahead.
        byte[] body = new byte[Math.Min((int)length, Step)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == body.Length)
            {
                Array.Resize(ref body, Math.Min((int)length, body.Length + Step));
            }
            int read = input.Read(body, filled, body.Length - filled);
            if (read == 0)
            {
                throw new BackupFormatException("The backup's contents end inside a record.");
            }
            filled += read;
        }
        return (kind, body);
    }
}
